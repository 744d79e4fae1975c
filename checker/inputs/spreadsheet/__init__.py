"""Records as audit staff fill them: the XLSX workbook / CSV set form of records.md.

Modules, one job each:

- `layout`   the sheets and columns, derived from `checker.inputs.schema` (nothing here lists field names by hand)
- `cells`    converting one spreadsheet cell to the typed value the schema asks for (or leaving it for the validator)
- `books`    reading XLSX workbooks (openpyxl read-only, streaming) and CSV sets into rows of raw cells
- `assemble` rows → one nested unit mapping per unit, remembering the cell behind every field path
- `locate`   translating the validator's field paths back to 文件 › 工作表 › 第N行 › 列X(字段)
- `writer`   the formatted workbook shared by the template and the exporter (headers, help, drop-downs)
- `template` `pbcheck template`; `export` `pbcheck export`; `annotate` the annotated copy of `--annotate`
"""
