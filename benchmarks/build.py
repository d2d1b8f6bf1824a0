"""Benchmark: import + build + XSD validation of N realistic records, against xmllint.

Usage: ``python benchmarks/build.py --records 150000 [--repeat 3] [--out DIR] [--keep] [--seed 1]``

1. Generates N rows as a CSV export (French names, mixed options, some nils, DIGCOMP on some,
   INSEE and postal-code births, births abroad, a few dossierFormation rows).
2. Imports the official 1.1.5 XSD from ``../shared/cdc/`` into a temporary data dir, so the
   build validates every file against it.
3. Runs ``builders.flux.build.build`` in a child process (``--child``), so its peak RSS is read
   alone through ``getrusage(RUSAGE_CHILDREN)`` before anything else runs as a child.
   ``peak_rss_mb`` is the largest peak RSS of any one process of the build (the build, its
   import pool, its validation pool). The build runs several processes at once, so
   their summed memory is also sampled from ``/proc`` (RSS every 50 ms, PSS every 250 ms)
   and printed on the ``memory:`` line: PSS (shared pages counted once, split between
   sharers) and RSS (shared library pages counted in every process). The sampler shares the
   build's cores, so it reads only cheap files often (see ``_MemorySampler``).
4. Runs ``xmllint --stream --noout --schema XSD`` on every output file.
5. With ``--repeat N``, does 3 and 4 N times, alternating, and prints each run's figures; the
   last line then gives the medians (the ratio is the median of the runs' own ratios: each
   pair runs back to back, under the same load). Shared machines vary by tens of percent
   from one minute to the next, so one run alone says little (``make bench`` does 3).

The last line printed is exactly:
``bench: records=N build_s=... xmllint_s=... ratio=... peak_rss_mb=... out_mb=...``
Targets (issue 2) at 150,000 records: ratio <= 2.0, peak RSS <= 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_XSD = ROOT.parent / "shared" / "cdc" / "cdc-certifications-1.1.5.xsd"
#: The newest certification date of the generated rows (the oldest is 60 days before).
RECENT = dt.date.today() - dt.timedelta(days=1)  # noqa: DTZ011 - a generator, local day is fine


def _words(text: str) -> tuple[str, ...]:
    """Space-separated words; ``_`` stands for a space inside a name."""
    return tuple(word.replace("_", " ") for word in text.split())


NOMS = _words(
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Müller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier "
    "François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu "
    "Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun "
    "Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche "
    "Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas "
    "Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume "
    "Lecomte López Jean Dupuy Guillot Hubert Berger Carpentier Sánchez Dupuis Moulin Louis "
    "N'Diaye D'Almeida Le_Gall De_La_Fontaine"
)
PRENOMS_F = _words(
    "Élodie Camille Léa Manon Chloé Inès Jade Louise Zoé Lina Anaïs Clémence Maëlle Océane "
    "Sarah Emma Juliette Margaux Agathe Noémie Héloïse Salomé Aïcha Fatoumata Marie-Claire"
)
PRENOMS_M = _words(
    "Lucas Hugo Louis Gabriel Arthur Jules Raphaël Adam Nathan Théo Mathis Noé Maël Enzo Léo "
    "Timéo Baptiste Clément Jérôme Mohamed Yanis Bastien François Jean-Baptiste Gaëtan"
)
COMMUNES = (
    ("75115", "Paris"),
    ("69123", "Lyon"),
    ("13055", "Marseille"),
    ("31555", "Toulouse"),
    ("33063", "Bordeaux"),
    ("59350", "Lille"),
    ("44109", "Nantes"),
    ("67482", "Strasbourg"),
    ("2A004", "Ajaccio"),
    ("97411", "Saint-Denis"),
)
ABROAD = (("99350", "350", "Maroc"), ("99352", "352", "Algérie"), ("99109", "109", "Allemagne"))
CERTIFICATIONS = (
    ("RNCP", "RNCP34567", "CERTIFICATEUR"),
    ("RNCP", "RNCP35123", "CERTIFICATEUR"),
    ("RS", "RS5875", "CERTIFICATEUR"),
    ("RS", "RS6201", ""),
)
ACCES = (
    "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    "FORMATION_INITIALE_APPRENTISSAGE",
    "CANDIDAT_LIBRE",
    "VAE",
    "",
)
HEADER = _words(
    "idClientEmetteur idClientCertificateur idContrat type code natureDeposant idTechnique "
    "obtentionCertification donneeCertifiee dateDebutExamen dateFinExamen modalitePassageExamen "
    "codePostalCentreExamen dateDebutValidite dateFinValidite presenceNiveauLangueEuro "
    "niveauLangueEuropeen presenceNiveauNumeriqueEuro scoreGeneral resultats scoring "
    "mentionValidee modaliteAcces voieAccessVAE initiativeInscription nomNaissance nomUsage "
    "prenom1 prenom2 dateNaissance sexe codeInsee codePostal libelleCommuneNaissance "
    "codePaysNaissance libellePaysNaissance idDossier nomTitulaire prenom1Titulaire admis"
)


def _row(index: int, rng: random.Random) -> list[str]:
    type_, code, nature = CERTIFICATIONS[index % len(CERTIFICATIONS)]
    sexe = rng.choice("MF")
    prenom = rng.choice(PRENOMS_F if sexe == "F" else PRENOMS_M)
    nom = rng.choice(NOMS)
    year, month, day = rng.randint(1955, 2005), rng.randint(1, 12), rng.randint(1, 28)
    birth = f"{day:02d}/{month:02d}/{year}" if rng.random() > 0.05 else str(year)
    language = type_ == "RS" and rng.random() < 0.3
    digital = code == "RS5875"
    acces = rng.choice(ACCES)
    insee, commune, pays, libelle_pays, postal = "", "", "", "", ""
    draw = rng.random()
    if draw < 0.8:
        insee, commune = rng.choice(COMMUNES)
    elif draw < 0.9:
        insee, pays, libelle_pays = rng.choice(ABROAD)
    elif draw < 0.97:
        postal = f"{rng.randint(1000, 95999):05d}"
    dossier = rng.random() < 0.02
    # Recent certificates, exams before them: plausible rows, declared within the deadline.
    certified = RECENT - dt.timedelta(days=rng.randint(0, 60))
    exam_end = certified - dt.timedelta(days=20)
    exam_start = exam_end - dt.timedelta(days=2)
    return [
        "12ABC345",
        "12ABC345",
        "MCFCER000123",
        type_,
        code,
        nature,
        f"BENCH-{index:08d}",
        "PAR_SCORING" if digital else "PAR_ADMISSION",
        rng.choice(("oui", "true", "1")),
        f"{exam_start:%d/%m/%Y}",
        f"{exam_end:%d/%m/%Y}",
        rng.choice(("EN_PRESENTIEL", "A_DISTANCE", "Présentiel", "")),
        rng.choice(("69003", "75011", "")),
        f"{certified:%d/%m/%Y}",
        "31/12/2027" if language else "",
        "oui" if language else "non",
        rng.choice(("B1", "B2", "C1")) if language else "",
        "oui" if digital else "non",
        str(rng.randint(100, 1000)) if digital else "",
        "1.1=3|2.4=5|5.2=4" if digital else "",
        str(rng.randint(10, 20)) if rng.random() < 0.5 else "",
        rng.choice(("Assez bien", "SANS_MENTION", "MENTION_BIEN", "")),
        acces,
        rng.choice(("CONGES_VAE", "VAE_CLASSIQUE")) if acces == "VAE" else "",
        rng.choice(("CERTIFIE", "OF", "EMPLOYEUR", "")),
        "" if dossier else nom,
        rng.choice(("", "", "", nom)) if not dossier else "",
        "" if dossier else prenom,
        rng.choice(("", "", "", "Marie", "Jean")) if not dossier else "",
        "" if dossier else birth,
        "" if dossier else sexe,
        "" if dossier else insee,
        "" if dossier else postal,
        "" if dossier else commune,
        "" if dossier else pays,
        "" if dossier else libelle_pays,
        f"{rng.randint(10**8, 10**9 - 1)}" if dossier else "",
        nom[:30] if dossier else "",
        prenom[:20] if dossier else "",
        "oui",
    ]


def generate(path: Path, records: int, seed: int) -> None:
    """Write ``records`` rows to ``path`` (UTF-8 with BOM, ``;``, as Excel writes)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        for index in range(records):
            writer.writerow(_row(index, rng))


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _descendants(root: int) -> list[int]:
    """``root`` and its descendants, from the kernel's per-thread ``children`` lists."""
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            threads = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue  # gone meanwhile
        for thread in threads:
            try:
                stack += map(int, (thread / "children").read_text().split())
            except OSError:
                continue
    return found


def _tree_rss(pids: list[int]) -> int:
    """Summed RSS bytes of ``pids`` (``/proc/PID/statm``: cheap enough to read often)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return total


def _tree_pss(pids: list[int]) -> int:
    """Summed PSS bytes of ``pids`` (``smaps_rollup``: the kernel walks every mapping, so
    this costs a few milliseconds of CPU and is read less often)."""
    total = 0
    for pid in pids:
        try:
            with Path(f"/proc/{pid}/smaps_rollup").open() as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue  # gone meanwhile
    return total


class _MemorySampler(threading.Thread):
    """Peaks of the summed RSS (every 50 ms) and PSS (every 250 ms) of a process tree.

    The sampler runs beside the build on the same cores, so it must stay cheap: reading every
    ``/proc`` entry and every ``smaps_rollup`` each 50 ms took about 15 % of a core.
    """

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_pss = self.peak_rss = 0
        self._done = threading.Event()

    def run(self) -> None:
        tick = 0
        while not self._done.wait(0.05):
            pids = _descendants(self.root)
            self.peak_rss = max(self.peak_rss, _tree_rss(pids))
            if tick % 5 == 0:
                self.peak_pss = max(self.peak_pss, _tree_pss(pids))
            tick += 1

    def stop(self) -> None:
        self._done.set()
        self.join()


def child(csv_path: Path, out_dir: Path, data_dir: Path) -> None:
    """Run the build in this (child) process and print its result as JSON."""
    sys.path.insert(0, str(ROOT))
    from builders.flux.build import build
    from builders.settings import BuildSettings, Declarant

    started = time.perf_counter()
    result = build(
        [csv_path], out_dir, settings=BuildSettings(), declarant=Declarant(), data_dir=data_dir
    )
    elapsed = time.perf_counter() - started
    summary = {
        "build_s": elapsed,
        "files": [str(f.path) for f in result.files],
        "valid": result.valid,
        "rejected": result.rejected,
        "first_errors": [f"{e.row}: {e.field}: {e.message}" for e in result.errors[:5]],
        "xsd": str(result.xsd),
    }
    print(json.dumps(summary))


def _run_build(command: list[str]) -> tuple[str, _MemorySampler]:
    """Run the build child, sampling its process tree's memory; its stdout."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = _MemorySampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.stop()
    if process.returncode != 0:
        sys.exit(f"bench: the build failed:\n{stderr}")
    return stdout, sampler


def _measure(command: list[str], xsd: Path) -> dict[str, Any]:
    """One build then xmllint on its files: times, CPU, memory peaks, output."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_cpu = usage.ru_utime + usage.ru_stime
    stdout, sampler = _run_build(command)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    build_cpu = usage.ru_utime + usage.ru_stime
    summary = json.loads(stdout.strip().splitlines()[-1])
    started = time.perf_counter()
    for file in summary["files"]:
        subprocess.run(
            ["xmllint", "--stream", "--noout", "--schema", str(xsd), file],
            check=True,
            capture_output=True,
        )
    xmllint_s = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        **summary,
        "xmllint_s": xmllint_s,
        "build_cpu": build_cpu - before_cpu,
        "xmllint_cpu": usage.ru_utime + usage.ru_stime - build_cpu,
        "peak_pss": sampler.peak_pss,
        "peak_rss": sampler.peak_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=150_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the CSV and XML files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="build and xmllint runs, alternating; the last line gives their medians",
    )
    parser.add_argument("--child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if shutil.which("xmllint") is None:
        sys.exit("bench: xmllint is required (apt-get install libxml2-utils)")
    work = Path(tempfile.mkdtemp(prefix="accrochage-bench-"))
    out_dir = args.out or work / "out"
    try:
        csv_path, data_dir = work / "export.csv", work / "data"
        sys.path.insert(0, str(ROOT))
        from builders.cdc.schemas import import_schema

        xsd = import_schema(SHARED_XSD, data_dir).path
        started = time.perf_counter()
        generate(csv_path, args.records, args.seed)
        print(f"generated {args.records} rows in {time.perf_counter() - started:.1f}s")
        command = [sys.executable, __file__, "--child", str(csv_path), str(out_dir), str(data_dir)]
        runs: list[dict[str, Any]] = []
        for number in range(1, args.repeat + 1):
            if runs:
                for file in runs[-1]["files"]:
                    Path(file).unlink()  # each run writes the same files afresh
            run = _measure(command, xsd)
            runs.append(run)
            print(
                f"run {number}: build_s={run['build_s']:.2f} xmllint_s={run['xmllint_s']:.2f} "
                f"ratio={run['build_s'] / run['xmllint_s']:.2f} "
                f"build_cpu_s={run['build_cpu']:.2f} xmllint_cpu_s={run['xmllint_cpu']:.2f}"
            )
        last = runs[-1]
        print(
            f"build: {last['valid']} valid, {last['rejected']} rejected, "
            f"{len(last['files'])} files, validated with {last['xsd']}"
        )
        for line in last["first_errors"]:
            print(f"  rejected row {line}")
        # The largest peak RSS of any one process of every run (build processes and xmllint).
        peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"memory: max_process_rss_mb={peak_rss_mb:.0f} "
            f"tree_peak_pss_mb={max(r['peak_pss'] for r in runs) / 1e6:.0f} "
            f"tree_peak_rss_mb={max(r['peak_rss'] for r in runs) / 1e6:.0f} "
            "(build and its child processes)"
        )
        out_mb = sum(Path(f).stat().st_size for f in last["files"]) / 1e6
        build_s = statistics.median(r["build_s"] for r in runs)
        xmllint_s = statistics.median(r["xmllint_s"] for r in runs)
        ratio = statistics.median(r["build_s"] / r["xmllint_s"] for r in runs)
        if args.repeat > 1:
            print(f"medians of {args.repeat} runs; ratio is the median of the runs' ratios")
        print(
            f"bench: records={args.records} build_s={build_s:.2f} xmllint_s={xmllint_s:.2f} "
            f"ratio={ratio:.2f} peak_rss_mb={peak_rss_mb:.0f} out_mb={out_mb:.0f}"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)  # an --out folder is the caller's: kept
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
