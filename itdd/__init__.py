"""itdd: the command line (`itdd.cli`) and the vocabulary the ETL and the dashboard share (`itdd.model`)."""
