"""`pbcheck templates export DIR`: editable copies of the built-in report templates, for use with `--templates DIR`."""
from __future__ import annotations

import shutil
from pathlib import Path

from checker.errors import UsageError
from checker.outputs.templating import EXPORTABLE_TEMPLATES
from checker.resources import builtin_templates_dir

README_NAME = "模板说明.txt"
README_TEXT = """pbcheck 报告模板
================

本目录是 pbcheck 内置报告模板的可编辑副本。修改后在检查时用 --templates 指定本目录，例如：

    pbcheck run 记录目录 --templates {dir} --format html --format docx

本目录中有的模板优先使用，没有的仍用内置模板（可以删掉不想改的文件）。

  notice.docx       整改通知书（Word）。可直接用 Word 打开修改：修改样式（如“正文”“公文标题”“一级标题”）即可
                    统一调整字体字号；可增删、改写文字。花括号标记是数据占位符，请整体保留、不要拆开，例如
                    {{{{ title }}}}、{{%p for group in groups %}}；以 {{%p 或 {{%tr 开头的标记须单独占一段（表格中单独占一行）。
  notice.html.j2    整改通知书（网页，也是 PDF 的来源）。Jinja 模板，样式在文件开头的 <style> 中。
  notice.md.j2      整改通知书（Markdown）。
  summary.html.j2   检查汇总报告 summary.html。

所有模板都在沙箱中渲染，记录中的文字一律按原样显示（自动转义），模板不能读写文件或执行程序。
模板写错时，pbcheck 会报告出错的文件和行（Word 模板报告段落位置），不会生成半截的输出。
"""


def export_templates(target: Path, force: bool = False) -> list[Path]:
    """Copy the built-in templates (and a Chinese README) into `target`; existing files only with `force`."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise UsageError(f"导出目录不是目录：{target}")
    source = builtin_templates_dir()
    names = list(EXPORTABLE_TEMPLATES) + [README_NAME]
    existing = [name for name in names if (target / name).exists()]
    if existing and not force:
        raise UsageError(f"目录 {target} 中已有同名文件：{'、'.join(existing)}；如需覆盖请加 --force")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in EXPORTABLE_TEMPLATES:
        shutil.copyfile(source / name, target / name)
        written.append(target / name)
    readme = target / README_NAME
    readme.write_text(README_TEXT.format(dir=target), encoding="utf-8")
    written.append(readme)
    return written
