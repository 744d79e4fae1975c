"""Shared pytest fixtures."""
from __future__ import annotations

import functools
import uuid

import pytest

# The complete example unit of records.md (every field, every list), with its reference resolving.
FULL_UNIT_YAML = """\
unit_id: GD-07
name: 第七项目部党支部
org_type: 党支部
parent: 华东工程公司党委
period: {start: 2025-01-01, end: 2025-12-31}
staff: 180
members: 23
party_workers: 1
branch_committee:
  established: true
  elected_on: 2022-03-10
  term_years: 3
  members: 5
leaders:
  - name: 张伟
    party_role: 书记
    business_role: 副经理
    in_business_team: true
    dual_duty_letter: true
    party_work_report: true
    annual_review: true
    training_hours: 60
meetings:
  - id: M-2025-03
    type: 支委会
    date: 2025-03-12
    recorded_on: 2025-03-13
    expected: 5
    present: 4
    secretary_present: true
    lecturer_role: 书记
    topics: [党建, 业务]
    minutes: 传达学习……；研究三季度安全生产任务分解……
    decisions:
      - {text: 成立攻坚小组, owner: 李强, due: 2025-04-30, done: true}
    evidence: [签到表.pdf, 照片.jpg]
plans:
  - title: 2025年党建工作计划
    kind: 党建
    approved_on: 2025-01-20
    items:
      - {text: 组建党员突击队保障工期, business_goal: 项目节点工期}
inspections:
  - {date: 2025-04-28, kind: 联合检查, party_items: 6, business_items: 10, issues_found: 3}
major_decisions:
  - id: D-07
    title: 分包商选定
    category: 重大项目
    amount: 3200000
    decided_on: 2025-05-20
    prestudy_on: 2025-05-18
    prestudy_meeting: M-2025-03
    secretary_attended: true
zones:
  - id: Z-1
    name: 盾构施工党员责任区
    members: 6
    kpis: [{name: 月进尺, target: 300, actual: 312}]
    reviewed_on: 2025-06-30
trainings:
  - {date: 2025-04-10, kind: 理论学习, hours: 4, participants: 20}
member_training_hours_avg: 34
sensitive_posts:
  - {post: 物资采购, holder: 王磊, since: 2019-07-01, rotation_limit_years: 5}
documents:
  - {title: 支部"三会一课"实施细则, issued_on: 2021-05-01, last_applied_on: 2025-03-12}
assessment:
  party_weight: 0.2
  linked_to_pay: true
  uses_business_results: true
  political_accounting: true
  methods: [过程提示法, 工作业绩评价法, 综合评价法]
  party_score: 92
  leader_grades: [优秀, 称职, 称职, 基本称职]
kpis:
  - {name: 产值, target: 12000, actual: 12650, unit: 万元}
  - {name: 安全事故, target: 0, actual: 0, unit: 起, direction: lower}
prior_findings:
  - rule: FM03
    period: 2024
    due: 2025-03-31
    status: 已销号
    closed_on: 2025-03-20
    evidence: [整改报告.pdf]
"""


@pytest.fixture
def full_unit_yaml() -> str:
    """YAML text of one valid unit that uses every field of records.md."""
    return FULL_UNIT_YAML


@pytest.fixture(autouse=True)
def _isolated_run_history(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test gets its own run-history database (PBCHECK_DB), so that no test writes pbcheck.db into the
    repository and no test sees another's runs; tests of the default location unset it."""
    monkeypatch.setenv("PBCHECK_DB", str(tmp_path_factory.getbasetemp() / f"history-{uuid.uuid4().hex}.db"))


from checker.pipeline import run as _run_module  # noqa: E402

_REAL_COMPILE = _run_module.compile_for_run


@functools.lru_cache(maxsize=None)
def _compiled_once(pack, params):
    return _REAL_COMPILE(pack, params)


@pytest.fixture
def compile_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile each (pack, --param) combination once per session for modules that run many CLI runs in-process."""
    monkeypatch.setattr(_run_module, "compile_for_run", lambda pack, params: _compiled_once(pack, tuple(params)))
