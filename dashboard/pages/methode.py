"""`/methode`: how progress categories, status against references and composite indices are made.

Every progress badge links here, at its category's anchor (`/methode#on_track`).
The thresholds and reasons come from the build (`progress_categories`) when it has them.
"""

from __future__ import annotations

from dash import html

from dashboard import assessment, queries
from dashboard.chrome import scroll_region, shell, text
from dashboard.context import db
from dashboard.i18n import normalise_lang
from itdd import method

PATH = "/methode"

REASON_CODES = method.REASON_ORDER

PROSE = {
    "fr": {
        "title": "Méthode : progrès, comparaison et indices composites",
        "intro": (
            "Chaque indicateur d'un territoire reçoit une catégorie de progrès calculée selon la méthode de "
            "Statistique Canada, telle que documentée par Open SDG (et inspirée d'Eurostat). Jamais de "
            "supposition : sans données suffisantes, l'évaluation est déclarée impossible et la raison est donnée."
        ),
        "growth": "Évolution observée",
        "growth_text": (
            "Taux de croissance annuel moyen entre l'année de base (la première année avec une valeur à partir "
            "de 2015) et la dernière année : TCAM = (valeur finale / valeur de base)^(1 / nombre d'années) − 1. "
            "Il est compté dans le sens souhaité de l'indicateur (une baisse du chômage est un progrès)."
        ),
        "target": "Avec une cible",
        "target_text": (
            "Le rythme nécessaire pour atteindre la cible à temps est TCAM cible = (cible / valeur de base)^(1 / "
            "(année cible − année de base)) − 1, et R = TCAM observé dans le bon sens / |TCAM cible|. "
            "R ≥ {r_on_track} : en bonne voie ; {r_acceleration} ≤ R < {r_on_track} : accélération nécessaire ; 0 ≤ R < {r_acceleration} : progrès "
            "limité ; R < 0 : détérioration. Une dernière valeur qui atteint la cible : cible atteinte."
        ),
        "no_target": "Sans cible",
        "no_target_text": (
            "TCAM dans le bon sens ≥ {on_track} par an : en bonne voie ; de {acceleration} à {on_track} : accélération nécessaire ; "
            "de 0 à {acceleration} : progrès limité ; négatif : détérioration. Près d'une limite naturelle (une part "
            "proche de 100 %), les seuils positifs sont réduits par le coefficient C de Statistique Canada."
        ),
        "categories": "Les catégories",
        "col_category": "Catégorie",
        "col_rule": "Règle",
        "reasons": "Pourquoi une évaluation est impossible ou nuancée",
        "context": (
            "Indicateurs de contexte (sans sens souhaité, comme la population) : l'évolution est montrée, "
            "sans catégorie."
        ),
        "status": "Comparaison avec les territoires de référence",
        "status_text": (
            "La valeur d'un territoire est comparée, la même année, à celle de son intercommunalité, de son "
            "département et de la France. « Proche » signifie un écart d'au plus 5 % de la valeur de référence "
            "(une tolérance propre à l'indicateur peut s'appliquer) ; sinon « mieux » ou « moins bien » selon le "
            "sens souhaité. Les effectifs (qui croissent avec la taille) et les indices composites ne sont pas "
            "comparés."
        ),
        "france": "La France et la France métropolitaine",
        "france_text": (
            "La France compte ses 101 départements, métropole et outre-mer (Guadeloupe, Martinique, Guyane, "
            "La Réunion, Mayotte), comme l'Insee la compte ; jamais les collectivités d'outre-mer (Polynésie "
            "française, Nouvelle-Calédonie…). Sa valeur est celle du producteur, ou la somme d'un fichier "
            "national : il y faut tous les départements métropolitains, et la valeur est marquée incomplète "
            "quand un département d'outre-mer manque au fichier (les populations légales de l'Insee ne couvrent "
            "pas Mayotte). Une région n'est sommée que si tous ses départements y sont. Quand le producteur ne "
            "publie que la France métropolitaine (96 départements), la valeur porte ce nom, jamais « France »."
        ),
        "france_table": "Sommes nationales de cette base : départements comptés",
        "col_source": "Source (variable)",
        "col_territory": "Territoire",
        "col_years": "Années",
        "col_departements": "Départements comptés",
        "col_missing": "Départements absents du fichier",
        "composite": "Indices composites",
        "composite_text": (
            "Chaque composante est normalisée min-max sur les territoires du même niveau : (v − min) / (max − "
            "min), inversée quand plus bas est mieux. Le minimum et le maximum sont fixés sur une période de "
            "référence, si bien qu'une année ajoutée ne change aucune valeur passée ; une valeur ultérieure "
            "hors de cette plage peut sortir de 0-1. L'indice vaut 100 × Σ poids × score / Σ poids ; la "
            "contribution d'une composante est sa part de l'indice, en points. Un territoire auquel il manque "
            "une composante n'a pas d'indice (pas de repondération)."
        ),
        "peers": "Territoires comparables",
        "peers_text": (
            "Pour chaque commune et intercommunalité, les territoires comparables sont les {k} plus proches du même "
            "niveau, dans cette base, selon des caractéristiques ramenées à la même échelle (écart à la moyenne "
            "divisé par l'écart type) : {features}. Un territoire auquel il manque une caractéristique n'a pas de "
            "territoires comparables (aucune valeur n'est imputée). L'évolution annuelle moyenne d'un territoire "
            "est comparée à celle de ses territoires comparables sur les mêmes années : au-delà du quart le plus "
            "favorable, « mieux » ; en deçà du quart le moins favorable, « moins bien » ; entre les deux, « dans "
            "la norme ». Avec moins de {min_peers} territoires comparables ayant des données, pas de comparaison. "
            "Le verdict figure sur le portrait, dans la fiche de l'indicateur, et en couleurs sur la carte (« Par "
            "rapport aux territoires comparables »)."
        ),
        "policies": "Effet d'une politique",
        "policies_text": (
            "Pour une politique déclarée (territoire, année de début, indicateurs visés, sens attendu), un contrôle "
            "synthétique reproduit l'évolution du territoire avant le début par une moyenne pondérée de ses "
            "territoires comparables (poids positifs, de somme 1). L'effet est l'écart moyen entre le territoire et "
            "ce contrôle depuis le début ; sa force se juge en refaisant le calcul pour chaque territoire comparable "
            "comme s'il avait eu la politique (placebos). Il faut au moins 3 années avant et 2 depuis le début, et "
            "un contrôle qui suit bien le territoire avant : sinon, pas de conclusion."
        ),
        "source": "Source de la méthode : Open SDG, « Progress status » (Statistique Canada).",
    },
    "en": {
        "title": "Method: progress, comparison and composite indices",
        "intro": (
            "Each indicator of a territory gets a progress category computed with Statistics Canada's method, "
            "as documented by Open SDG (and inspired by Eurostat). Never a guess: without enough data the "
            "assessment is declared impossible and the reason is given."
        ),
        "growth": "Observed growth",
        "growth_text": (
            "Compound annual growth rate between the base year (the first year with a value from 2015 on) and "
            "the last year: CAGR = (last value / base value)^(1 / years) − 1, counted in the indicator's desired "
            "direction (falling unemployment is progress)."
        ),
        "target": "With a target",
        "target_text": (
            "The growth needed to reach the target on time is CAGR_T = (target / base value)^(1 / (target year "
            "− base year)) − 1, and R = observed CAGR in the desired direction / |CAGR_T|. R ≥ {r_on_track}: on track; "
            "{r_acceleration} ≤ R < {r_on_track}: acceleration needed; 0 ≤ R < {r_acceleration}: limited progress; R < 0: deterioration. A last "
            "value reaching the target: target achieved."
        ),
        "no_target": "Without a target",
        "no_target_text": (
            "CAGR in the desired direction ≥ {on_track} a year: on track; {acceleration} to {on_track}: acceleration needed; 0 to "
            "{acceleration}: limited progress; negative: deterioration. Near a natural limit (a share close to 100 %), "
            "the positive thresholds are scaled down by Statistics Canada's coefficient C."
        ),
        "categories": "The categories",
        "col_category": "Category",
        "col_rule": "Rule",
        "reasons": "Why an assessment is impossible or qualified",
        "context": "Context indicators (no desired direction, such as population): growth is shown, no category.",
        "status": "Comparison with reference territories",
        "status_text": (
            "A territory's value is compared, in the same year, with its intermunicipality, its département and "
            "France. 'Similar' means within 5 % of the reference value (an indicator may have its own "
            "tolerance); otherwise 'better' or 'worse' given the desired direction. Counts (which grow with "
            "size) and composite indices are not compared."
        ),
        "france": "France and metropolitan France",
        "france_text": (
            "France is its 101 départements, metropolitan and overseas (Guadeloupe, Martinique, Guyane, "
            "La Réunion, Mayotte), as INSEE counts it; never the overseas collectivities (French Polynesia, "
            "New Caledonia…). Its value is the producer's, or the sum of a national file: every metropolitan "
            "département must be there, and the value is flagged incomplete when the file lacks an overseas "
            "département (INSEE's legal populations do not cover Mayotte). A region is summed only when all its "
            "départements are there. Where the producer publishes metropolitan France only (96 départements), "
            "the value bears that name, never 'France'."
        ),
        "france_table": "National sums of this database: départements counted",
        "col_source": "Source (variable)",
        "col_territory": "Territory",
        "col_years": "Years",
        "col_departements": "Départements counted",
        "col_missing": "Départements missing from the file",
        "composite": "Composite indices",
        "composite_text": (
            "Each component is scaled min-max over the territories of the same level: (v − min) / (max − min), "
            "reversed when lower is better. Minimum and maximum are fixed over a reference period, so a new "
            "year changes no past value; a later value outside that range may fall outside 0-1. The index is "
            "100 × Σ weight × score / Σ weight; a component's contribution is its share of the index, in points. "
            "A territory missing a component gets no index (no reweighting)."
        ),
        "peers": "Comparable territories",
        "peers_text": (
            "For each commune and intercommunality, the comparable territories are the {k} nearest of the same level "
            "in this database, on characteristics brought to one scale (distance from the mean over the standard "
            "deviation): {features}. A territory missing a characteristic has no comparable territories (no value is "
            "imputed). A territory's compound annual growth is compared with its comparable territories' over the "
            "same years: beyond the most favourable quarter, 'better'; below the least favourable quarter, 'worse'; "
            "between, 'in line'. With fewer than {min_peers} comparable territories with data, no comparison. The "
            "verdict is on the portrait, in the indicator sheet, and in colours on the map ('Against comparable "
            "territories')."
        ),
        "policies": "A policy's effect",
        "policies_text": (
            "For a declared policy (territory, start year, indicators aimed at, expected direction), a synthetic "
            "control reproduces the territory's trend before the start with a weighted mean of its comparable "
            "territories (non-negative weights summing to 1). The effect is the mean gap between the territory and "
            "this control from the start on; its strength is judged by redoing the fit for each comparable territory "
            "as if it had had the policy (placebos). At least 3 years before and 2 since the start are needed, and a "
            "control that tracks the territory well before: otherwise no conclusion."
        ),
        "source": "Source of the method: Open SDG, 'Progress status' (Statistics Canada).",
    },
}


def category_rows(categories, lang: str) -> list[html.Tr]:
    labels = assessment.labels_from(categories)
    rules = {r.category: text(getattr(r, f"rule_{lang}", None)) for r in categories.itertuples()}
    rows = []
    for key in (*assessment.CATEGORIES, assessment.CONTEXT):
        rule = rules.get(key) or (PROSE[lang]["context"] if key == assessment.CONTEXT else "")
        rows.append(
            html.Tr(
                [html.Th(assessment.badge(key, lang, labels), scope="row"), html.Td(rule or "–")],
                id=key,
            )
        )
    return rows


def peer_settings(lang: str) -> dict:
    """The build's peer settings, for the prose: how many, on what (`peer_features`)."""
    features = db().run(queries.peer_features, "commune")
    used = features[features["used"]] if not features.empty else features
    words = ", ".join(
        f"{text(getattr(r, f'label_{lang}', None)) or text(r.label_fr)} ({int(r.year)})" for r in used.itertuples()
    )
    settings = db().run(queries.peer_settings)
    return {"k": settings["k"], "min_peers": settings["min_peers"], "features": words.lower() or "–"}


def national_table(scope, prose: dict) -> list:
    """Which départements each national sum of the build counts (`national_scope`)."""
    if scope.empty:
        return []
    head = ["col_source", "col_territory", "col_years", "col_departements", "col_missing"]
    rows = [
        html.Tr(
            [
                html.Td(f"{r.source_id} ({r.variable})"),
                html.Td(r.name),
                html.Td(r.years),
                html.Td(f"{r.departements} / {r.expected}"),
                html.Td(r.missing or "–"),
            ]
        )
        for r in scope.itertuples()
    ]
    table = html.Table(
        [
            html.Caption(prose["france_table"]),
            html.Thead(html.Tr([html.Th(prose[key], scope="col") for key in head])),
            html.Tbody(rows),
        ],
        className="data-table",
    )
    return [scroll_region(table, prose["france_table"])]


def layout(lang: str = "fr", **params) -> html.Div:
    lang = normalise_lang(lang)
    params = {**params, "lang": lang}
    prose = PROSE[lang]
    categories = db().run(queries.progress_labels)
    children = [
        html.H1(prose["title"]),
        html.P(prose["intro"]),
        html.H2(prose["growth"]),
        html.P(prose["growth_text"]),
        html.H2(prose["target"]),
        html.P(prose["target_text"].format(**method.thresholds(lang))),
        html.H2(prose["no_target"]),
        html.P(prose["no_target_text"].format(**method.thresholds(lang))),
        html.H2(prose["categories"], id="categories"),
        scroll_region(
            html.Table(
                [
                    html.Caption(prose["categories"], className="sr-only"),  # the heading above says it
                    html.Thead(
                        html.Tr([html.Th(prose["col_category"], scope="col"), html.Th(prose["col_rule"], scope="col")])
                    ),
                    html.Tbody(category_rows(categories, lang)),
                ],
                className="data-table method-table",
            ),
            prose["categories"],
        ),
        html.H2(prose["reasons"], id="reasons"),
        # in words, never the codes: each reason's sentence, anchored by its code for links
        html.Ul([html.Li(method.reason_text(code, lang).capitalize(), id=f"reason-{code}") for code in REASON_CODES]),
        html.H2(prose["status"], id="status"),
        html.P(prose["status_text"]),
        html.H2(prose["france"], id="france"),
        html.P(prose["france_text"]),
        *national_table(db().run(queries.national_scope), prose),
        html.H2(prose["composite"], id="composite"),
        html.P(prose["composite_text"]),
        html.H2(prose["peers"], id="peers"),
        html.P(prose["peers_text"].format(**peer_settings(lang))),
        html.H2(prose["policies"], id="policies"),
        html.P(prose["policies_text"]),
        html.P(prose["source"], className="muted"),
    ]
    return shell(lang, params, children, "method")
