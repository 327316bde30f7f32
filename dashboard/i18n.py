"""User-interface text in French (default) and English; the language travels in `?lang=`."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"

# The five Agenda 21 finalities, in the order of the framework.
FINALITIES = ("climat", "biodiversite", "cohesion_sociale", "epanouissement", "production_consommation")

TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "site_title": "itdd — indicateurs territoriaux de développement durable",
        "site_short": "itdd",
        "nav_home": "Accueil",
        "nav_map": "Carte",
        "nav_territory": "Territoires",
        "switch_label": "English",
        "switch_title": "Read this page in English",
        "footer_sources": "Sources et licences",
        "footer_licence": "licence",
        "footer_unknown_licence": "non précisée",
        "footer_note": "Données ouvertes ; code sous licence MIT.",
        "finality_climat": "Lutte contre le changement climatique",
        "finality_biodiversite": "Préservation de la biodiversité, des milieux et des ressources",
        "finality_cohesion_sociale": "Cohésion sociale et solidarité",
        "finality_epanouissement": "Épanouissement de tous les êtres humains",
        "finality_production_consommation": "Production et consommation responsables",
        "finality_other": "Autres indicateurs",
        "level_commune": "Communes",
        "level_epci": "Intercommunalités (EPCI)",
        "level_departement": "Département",
        "level_region": "Région",
        "level_france": "France",
        "level1_commune": "commune",
        "level1_epci": "intercommunalité",
        "level1_departement": "département",
        "level1_region": "région",
        "level1_france": "pays",
        "polarity_higher_is_better": "plus c'est haut, mieux c'est",
        "polarity_lower_is_better": "plus c'est bas, mieux c'est",
        "polarity_none": "indicateur de contexte (sans polarité)",
        "missing": "Donnée manquante",
        "secret": "Secret statistique",
        "incomplete": "donnée incomplète",
        "incomplete_marker": "valeur calculée sans certaines parties",
        "legend_incomplete": "Contour épais\u00a0: valeur calculée sans certaines parties",
        "no_data_yet": "pas encore de données",
        "home_intro": "Les indicateurs de l'Agenda 21, classés par finalité, pour les communes, intercommunalités et le département de la Gironde.",
        "home_search": "Rechercher un indicateur",
        "home_search_placeholder": "ex. population, chômage…",
        "home_headline": "La Gironde en bref",
        "home_catalogue": "Catalogue des indicateurs",
        "home_all_indicators": "Tous les indicateurs de {name}",
        "home_territories": "Portraits de territoires",
        "home_no_match": "Aucun indicateur ne correspond à « {text} ».",
        "territory_search": "Rechercher un territoire (nom ou code)",
        "territory_search_placeholder": "ex. St Medard, 33063",
        "territory_no_match": "Aucun territoire ne correspond à « {text} ».",
        "latest": "Dernière valeur",
        "year": "Année",
        "trend": "Évolution",
        "see_map": "Voir sur la carte",
        "see_sheet": "Fiche de l'indicateur",
        "map_title": "Carte des indicateurs",
        "map_indicator": "Indicateur",
        "map_level": "Niveau",
        "map_year": "Année",
        "map_classes": "Classes",
        "classes_quantiles": "Quantiles",
        "classes_equal": "Intervalles égaux",
        "map_caption": "{label} — {level}, {year}",
        "map_hint": "Cliquez sur un territoire pour ouvrir son portrait. Le tableau ci-dessous donne les mêmes valeurs.",
        "legend_title": "Légende ({unit})",
        "legend_better": "favorable",
        "legend_worse": "défavorable",
        "rank": "Rang",
        "rank_of": "sur",
        "change_since": "Évolution depuis {year}",
        "table_title": "Les valeurs en tableau",
        "download_csv": "Télécharger en CSV",
        "col_name": "Territoire",
        "col_code": "Code",
        "col_value": "Valeur",
        "col_rank": "Rang",
        "col_change": "Évolution",
        "col_status": "Statut",
        "col_year": "Année",
        "sort_by": "Trier par {column}",
        "page_of": "Page {page} sur {pages}",
        "previous": "Précédent",
        "next": "Suivant",
        "portrait_title": "Portrait\u00a0: {name}",
        "portrait_intro": "{level} — code {code}. Chaque indicateur avec sa dernière valeur, son évolution et ses territoires de référence.",
        "portrait_print": "Imprimer",
        "references": "Références",
        "since_first": "Depuis {year}",
        "values_by_year": "Valeurs par année",
        "no_value": "Aucune valeur pour ce territoire.",
        "progress": "Progrès",
        "sheet_definition": "Définition",
        "sheet_formula": "Formule",
        "sheet_numerator": "Numérateur",
        "sheet_denominator": "Dénominateur",
        "sheet_variable": "Variable",
        "sheet_unit": "Unité",
        "sheet_polarity": "Sens",
        "sheet_finality": "Finalité",
        "sheet_sdg": "Objectifs de développement durable",
        "sheet_levels": "Niveaux",
        "sheet_source": "Source",
        "sheet_updated": "Dernière mise à jour",
        "sheet_limits": "Limites connues",
        "sheet_target": "Cible",
        "sheet_trend": "Évolution comparée",
        "sheet_choose": "Territoires à comparer (8 au plus)",
        "sheet_not_built": "source absente de cette base",
        "trend_up": "en hausse de {rate} par an depuis {year}",
        "trend_down": "en baisse de {rate} par an depuis {year}",
        "trend_up_abs": "en hausse de {delta} depuis {year}",
        "trend_down_abs": "en baisse de {delta} depuis {year}",
        "trend_flat": "stable depuis {year}",
        "trend_single": "une seule année disponible",
        "points": "point",
        "points_plural": "points",
        "not_found_title": "Page introuvable",
        "not_found_intro": "Nous n'avons pas trouvé {what}.",
        "not_found_choices": "Vous cherchiez peut-être :",
        "not_found_home": "Retour à l'accueil",
        "nf_page": "cette page",
        "nf_indicator": "l'indicateur « {value} »",
        "nf_level": "le niveau « {value} » pour cet indicateur",
        "nf_year": "de données pour l'année « {value} »",
        "nf_territory": "le territoire « {value} »",
        "target_line": "Cible {year}",
    },
    "en": {
        "site_title": "itdd — territorial sustainable-development indicators",
        "site_short": "itdd",
        "nav_home": "Home",
        "nav_map": "Map",
        "nav_territory": "Territories",
        "switch_label": "Français",
        "switch_title": "Lire cette page en français",
        "footer_sources": "Sources and licences",
        "footer_licence": "licence",
        "footer_unknown_licence": "not stated",
        "footer_note": "Open data; code under the MIT licence.",
        "finality_climat": "Fighting climate change",
        "finality_biodiversite": "Preserving biodiversity, environments and resources",
        "finality_cohesion_sociale": "Social cohesion and solidarity",
        "finality_epanouissement": "Fulfilment of all human beings",
        "finality_production_consommation": "Responsible production and consumption",
        "finality_other": "Other indicators",
        "level_commune": "Municipalities",
        "level_epci": "Intermunicipalities (EPCI)",
        "level_departement": "Département",
        "level_region": "Region",
        "level_france": "France",
        "level1_commune": "municipality",
        "level1_epci": "intermunicipality",
        "level1_departement": "département",
        "level1_region": "region",
        "level1_france": "country",
        "polarity_higher_is_better": "higher is better",
        "polarity_lower_is_better": "lower is better",
        "polarity_none": "context indicator (no polarity)",
        "missing": "Missing data",
        "secret": "Statistical secrecy",
        "incomplete": "incomplete data",
        "incomplete_marker": "value computed without some of its parts",
        "legend_incomplete": "Thick outline: value computed without some of its parts",
        "no_data_yet": "no data yet",
        "home_intro": "Agenda 21 indicators, grouped by finality, for the municipalities, intermunicipalities and the département of Gironde.",
        "home_search": "Search an indicator",
        "home_search_placeholder": "e.g. population, unemployment…",
        "home_headline": "Gironde at a glance",
        "home_catalogue": "Indicator catalogue",
        "home_all_indicators": "Every indicator for {name}",
        "home_territories": "Territory portraits",
        "home_no_match": "No indicator matches “{text}”.",
        "territory_search": "Search a territory (name or code)",
        "territory_search_placeholder": "e.g. St Medard, 33063",
        "territory_no_match": "No territory matches “{text}”.",
        "latest": "Latest value",
        "year": "Year",
        "trend": "Trend",
        "see_map": "See on the map",
        "see_sheet": "Indicator sheet",
        "map_title": "Indicator map",
        "map_indicator": "Indicator",
        "map_level": "Level",
        "map_year": "Year",
        "map_classes": "Classes",
        "classes_quantiles": "Quantiles",
        "classes_equal": "Equal intervals",
        "map_caption": "{label} — {level}, {year}",
        "map_hint": "Click a territory to open its portrait. The table below gives the same values.",
        "legend_title": "Legend ({unit})",
        "legend_better": "favourable",
        "legend_worse": "unfavourable",
        "rank": "Rank",
        "rank_of": "of",
        "change_since": "Change since {year}",
        "table_title": "The values as a table",
        "download_csv": "Download as CSV",
        "col_name": "Territory",
        "col_code": "Code",
        "col_value": "Value",
        "col_rank": "Rank",
        "col_change": "Change",
        "col_status": "Status",
        "col_year": "Year",
        "sort_by": "Sort by {column}",
        "page_of": "Page {page} of {pages}",
        "previous": "Previous",
        "next": "Next",
        "portrait_title": "Portrait: {name}",
        "portrait_intro": "{level} — code {code}. Each indicator with its latest value, its trend and its reference territories.",
        "portrait_print": "Print",
        "references": "References",
        "since_first": "Since {year}",
        "values_by_year": "Values by year",
        "no_value": "No value for this territory.",
        "progress": "Progress",
        "sheet_definition": "Definition",
        "sheet_formula": "Formula",
        "sheet_numerator": "Numerator",
        "sheet_denominator": "Denominator",
        "sheet_variable": "Variable",
        "sheet_unit": "Unit",
        "sheet_polarity": "Direction",
        "sheet_finality": "Finality",
        "sheet_sdg": "Sustainable Development Goals",
        "sheet_levels": "Levels",
        "sheet_source": "Source",
        "sheet_updated": "Last update",
        "sheet_limits": "Known limits",
        "sheet_target": "Target",
        "sheet_trend": "Compared trends",
        "sheet_choose": "Territories to compare (up to 8)",
        "sheet_not_built": "source not in this database",
        "trend_up": "up {rate} a year since {year}",
        "trend_down": "down {rate} a year since {year}",
        "trend_up_abs": "up {delta} since {year}",
        "trend_down_abs": "down {delta} since {year}",
        "trend_flat": "stable since {year}",
        "trend_single": "only one year available",
        "points": "point",
        "points_plural": "points",
        "not_found_title": "Page not found",
        "not_found_intro": "We could not find {what}.",
        "not_found_choices": "Perhaps you were looking for:",
        "not_found_home": "Back to the home page",
        "nf_page": "this page",
        "nf_indicator": "the indicator “{value}”",
        "nf_level": "the level “{value}” for this indicator",
        "nf_year": "data for the year “{value}”",
        "nf_territory": "the territory “{value}”",
        "target_line": "Target {year}",
    },
}


def normalise_lang(lang: object) -> str:
    """The language of a `?lang=` value; anything unknown falls back to French."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values: object) -> str:
    """Translated text for `key`, formatted with `values`; French if missing in `lang`."""
    text = TEXT[normalise_lang(lang)].get(key) or TEXT[DEFAULT_LANG].get(key, key)
    return text.format(**values) if values else text


def finality_label(finality: str | None, lang: str) -> str:
    key = f"finality_{finality}"
    return t(key, lang) if key in TEXT[DEFAULT_LANG] else (finality or t("finality_other", lang))


def colon(lang: str) -> str:
    """The separator before a value: ' : ' in French (no-break space before the colon), ': ' in English."""
    return "\u00a0: " if normalise_lang(lang) == "fr" else ": "


def labelled(key: str, value: object, lang: str) -> str:
    """'Rang : 3' / 'Rank: 3'."""
    return f"{t(key, lang)}{colon(lang)}{value}"


def other_lang(lang: str) -> str:
    return "en" if normalise_lang(lang) == "fr" else "fr"


def with_query(path: str, lang: str, **params: object) -> str:
    """`path` with `params` (None dropped) and `lang` (only when not French) as a query string."""
    query = {k: v for k, v in params.items() if v not in (None, "", [])}
    if normalise_lang(lang) != DEFAULT_LANG:
        query["lang"] = lang
    return f"{path}?{urlencode(query)}" if query else path


def switch_href(search: str | None, lang: str) -> str:
    """The query string of the same view in the other language."""
    query = dict(parse_qsl((search or "").lstrip("?")))
    target = other_lang(lang)
    if target == DEFAULT_LANG:
        query.pop("lang", None)
    else:
        query["lang"] = target
    return f"?{urlencode(query)}" if query else "?"
