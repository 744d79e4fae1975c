"""The columns of the 整改台账 (ledger.xlsx, ledgers/<unit>.xlsx, ledger.csv) and the help text that explains them."""
from __future__ import annotations

from dataclasses import dataclass

from checker.inputs.schema import RECTIFICATION_STATUSES

OPEN_STATUS = "未启动"
WAIVED_MARK = "已批准豁免"


@dataclass(frozen=True)
class Column:
    """A ledger column: its header, width (in characters), whether the checker owns it (locked), its kind."""

    header: str
    width: float
    locked: bool
    wrap: bool = False
    date: bool = False
    center: bool = False


# The 17 columns of the issue, in its order, then additions (never renamed or reordered; readers go by header).
COLUMNS: tuple[Column, ...] = (
    Column("问题编号", 19, True),
    Column("序号", 6, True, center=True),
    Column("单位", 24, True, wrap=True),
    Column("问题来源", 22, True, wrap=True),
    Column("规则", 22, True, wrap=True),
    Column("问题类别", 14, True, wrap=True),
    Column("问题描述", 48, True, wrap=True),
    Column("依据条款", 32, True, wrap=True),
    Column("整改措施", 40, False, wrap=True),
    Column("责任单位", 20, False, wrap=True),
    Column("责任人", 10, False),
    Column("整改时限", 12, True, date=True),          # set by the notice; not the unit's to move
    Column("完成情况", 30, False, wrap=True),
    Column("佐证材料", 24, False, wrap=True),
    Column("状态", 10, False, center=True),
    Column("复核人", 10, False),
    Column("销号日期", 12, False, date=True),
    Column("风险等级", 8, True, center=True),
    Column("单位编号", 12, True),
    Column("检查对象", 16, True, wrap=True),
    Column("备注", 30, False, wrap=True),
)
HEADERS = tuple(c.header for c in COLUMNS)
STATUS_COLUMN = HEADERS.index("状态")

HELP_LINES = (
    "整改台账填写说明",
    "1. 每行是一项检查发现的问题，“问题编号”与整改通知书一致，是该问题的唯一标识，请勿修改（已锁定）。",
    "2. 灰底列（问题编号至依据条款、整改时限、风险等级、单位编号、检查对象）由检查工具生成，已锁定；白底列由整改单位填写。",
    "3. “整改措施”预填了整改要求，请结合实际细化；“责任人”“完成情况”“佐证材料”“复核人”“销号日期”按实际填写。",
    "4. “状态”从下拉列表选择：" + "、".join(RECTIFICATION_STATUSES) + "。整改完成并经复核后填写销号日期、状态选“已销号”。",
    "5. 备注为“已批准豁免”的问题不列入整改通知书，到期后仍存在的将在下次检查中重新列为问题。",
    "6. 工作表保护未设密码，仅为防止误改；请勿增删行列或改动表头，以便检查组导入回收。",
)
