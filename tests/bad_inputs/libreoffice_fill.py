"""Fill a `pbcheck template` workbook the way a person does, in LibreOffice Calc, and save it as XLSX.

Run with a Python that has LibreOffice's UNO bridge (Debian: python3-uno), not the project's venv:

    /usr/bin/python3 tests/bad_inputs/libreoffice_fill.py TEMPLATE.xlsx OUT.xlsx

Every value is entered as Calc's input line does for a clerk: into a cell formatted as text (the
template formats id and text columns so) it is stored as typed, so `007` stays `007`; anywhere else
it is interpreted (`setFormula`): `2025-03-12` becomes a date, `5` a number, `=F3-1` a formula
whose result Calc computes and stores. (Driving the real keyboard path, `.uno:EnterString`, crashes
a headless Calc now and then, so the text-format rule is applied here explicitly.) tests/test_spreadsheet_libreoffice.py checks that pbcheck
reads the saved workbook as the same records; xlsx/libreoffice_saved.xlsx is a committed output.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

TYPED = {
    "units": {
        3: {"unit_id": "GD-L", "name": "LibreOffice填写的党支部", "org_type": "党支部", "period.start": "2025-01-01",
            "period.end": "2025/12/31", "staff": "180", "members": "=20+3", "party_workers": "1",
            "branch_committee.established": "是", "branch_committee.elected_on": "2024-03-15",
            "branch_committee.term_years": "3", "branch_committee.members": "5", "member_training_hours_avg": "34.5",
            "assessment.party_weight": "0.2", "assessment.linked_to_pay": "是",
            "assessment.methods": "过程提示法、综合评价法", "assessment.party_score": "92"},
    },
    "leaders": {
        3: {"unit_id": "GD-L", "name": "张伟", "party_role": "书记", "business_role": "副经理", "in_business_team": "是",
            "dual_duty_letter": "是", "party_work_report": "否", "training_hours": "60"},
    },
    "meetings": {
        3: {"unit_id": "GD-L", "id": "M-01", "type": "支委会", "date": "2025-03-12", "recorded_on": "2025-03-13",
            "expected": "5", "present": "=F3-1", "topics": "党建;业务", "minutes": "研究安全生产任务分解",
            "evidence": "签到表.pdf；照片.jpg"},
        4: {"unit_id": "GD-L", "id": "007", "type": "党课", "date": "2025-04-08", "expected": "23", "present": "21",
            "lecturer_role": "书记", "topics": "党建、学习"},
    },
    "meeting_decisions": {
        3: {"unit_id": "GD-L", "meeting_id": "M-01", "text": "成立攻坚小组", "owner": "李强", "due": "2025-04-30",
            "done": "是"},
    },
    "kpis": {
        3: {"unit_id": "GD-L", "name": "产值", "target": "12000", "actual": "=12000*1.05", "unit": "万元"},
    },
}


def _prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def fill(template: str, out: str) -> None:
    """Open `template` in a headless Calc, type the values of TYPED, recalculate, save as XLSX to `out`."""
    work = tempfile.mkdtemp(prefix="pbcheck-lo-")
    profile = os.path.join(work, "profile")
    # a private copy: Calc leaves a lock file next to what it opens, and refuses files locked by another run
    source = os.path.join(work, "template.xlsx")
    shutil.copyfile(template, source)
    pipe = f"pbcheck{os.getpid()}"
    proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                             f"-env:UserInstallation=file://{profile}",
                             f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        ctx = None
        for _ in range(300):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:  # noqa: BLE001 - LibreOffice is still starting
                time.sleep(0.1)
        if ctx is None:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (_prop("Hidden", True),))
        if doc is None:
            raise SystemExit(f"LibreOffice could not open {template}")
        formats = doc.NumberFormats
        for sheet_name, rows in TYPED.items():
            sheet = doc.Sheets.getByName(sheet_name)
            headers = {}
            col = 0
            while True:
                text = sheet.getCellByPosition(col, 0).getString()
                if not text:
                    break
                headers[text] = col
                col += 1
            for row, values in rows.items():
                for name, typed in values.items():
                    cell = sheet.getCellByPosition(headers[name], row - 1)
                    if formats.getByKey(cell.NumberFormat).FormatString == "@":
                        cell.setString(typed)
                    else:
                        cell.setFormula(typed)
        doc.calculateAll()
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001 - the bridge closes while terminating
            pass
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    fill(sys.argv[1], sys.argv[2])
