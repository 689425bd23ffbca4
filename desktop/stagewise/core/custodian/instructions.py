"""The custodian package's printed instruction sheet: how the named colleague opens the package (no client
data on it)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from stagewise.core.custodian.crypto import (  # the public names are re-exported: the package format
    FORMAT as FORMAT,
    MAGIC as MAGIC,
    PACKAGE_SUFFIX as PACKAGE_SUFFIX,
    VERSION as VERSION,
    PackageHeader as PackageHeader,
    Progress as Progress,
    TamperedPackageError as TamperedPackageError,
    read_header as read_header,
)


def write_instructions(
    out: Path | IO[bytes],
    *,
    practice_name: str,
    custodian: str,
    created: str,
    package_name: str,
    clients: int,
) -> None:
    """The printable sheet that goes with a package: who, what, and how to open it. No client data."""
    from reportlab.platypus import Spacer

    from stagewise.core.reports.layout import PageDecor, para, render, styles

    st = styles()
    story: list[Any] = [
        para("Custodian package: instructions", st.title),
        para(
            f"This sheet goes with the encrypted file {package_name}, written on {created} by Stagewise "
            f"for the practice {practice_name}. It names the person who will look after the practice's "
            'client records if the practitioner cannot (a "professional will"). Keep this sheet with '
            "the package; it holds no client information and no secret.",
        ),
        para("Custodian", st.h1),
        para(custodian),
        para("What the package holds", st.h1),
        para(
            f"The complete practice file ({clients} client record(s)) as a verified encrypted backup; a "
            "FHIR R4 export of every completed questionnaire and score (a standard format other systems "
            "can import); one progress summary PDF per client; a README and a list of the files with "
            "their checksums."
        ),
        para("What you need", st.h1),
        para(
            "The practice's RECOVERY KEY: 32 letters and digits printed as 8 groups of 4, kept on the "
            "recovery sheet Stagewise printed when the practice was set up (or when the key was last "
            "renewed). It opens both this package and the practice file inside it. It is not written "
            "here on purpose: keep this sheet and the recovery key in different places (for example the "
            "recovery key in a sealed envelope with the practitioner's solicitor or executor)."
        ),
        para("How to open the package", st.h1),
    ]
    steps = [
        "Install Stagewise (the same version or a newer one) from the practice's installer or the "
        "Stagewise website, on a computer with disk encryption switched on. The commands below are "
        "typed in a terminal; on Windows the command is stagewise-cli (in the Stagewise program folder, "
        "%LOCALAPPDATA%\\Programs\\Stagewise) and on a Mac Stagewise.app/Contents/MacOS/stagewise-cli.",
        f"In the folder holding the package, run:  stagewise custodian-open {package_name} --out Records",
        "Type the recovery key when asked. A wrong key is refused and nothing is unpacked; a package that "
        "was changed or damaged is refused too (use another copy).",
        "The folder Records now holds README.txt, the progress summaries (summaries/), the FHIR export "
        "(fhir/) and the practice file (practice/practice.stagewise with its .keys file). The PDFs and the "
        "FHIR file are not encrypted: keep the folder on an encrypted disk.",
        "Set a new practice passphrase: run  stagewise change-passphrase "
        "Records/practice/practice.stagewise --recovery-key  and type the recovery key, then a new "
        "passphrase of your own (twice).",
        "Give yourself an account: run  stagewise users add Records/practice/practice.stagewise YOUR-NAME "
        "--role admin clinician --recovery-key  and type the recovery key, then a password for the account.",
        "Open the practice in the desktop app:  Stagewise Records/practice/practice.stagewise  and sign in "
        "with the new passphrase and your account. Print a new recovery key for your own safe keeping "
        "(stagewise new-recovery-key Records/practice/practice.stagewise) and make a backup.",
    ]
    for n, text in enumerate(steps, start=1):
        story.append(para(f"{n}. {text}"))
    story += [
        Spacer(1, 8),
        para("If something goes wrong", st.h1),
        para(
            '"The recovery key is not correct": check each group of four; 0, 1 and 8 are read as O, I '
            "and B. If the practice renewed its recovery key after the date above, the key that was "
            'current on that date is the one that opens this package. "The package has been changed or '
            'damaged": use another copy of the package (keep at least two).'
        ),
    ]
    decor = PageDecor(
        practice_name=practice_name,
        title="Custodian package",
        identifiers=None,
        confidentiality="This sheet holds no client information. Keep it apart from the recovery key.",
        generated=f"Made with Stagewise on {created}",
    )
    render(story, out, decor, subject="Custodian package instructions")
