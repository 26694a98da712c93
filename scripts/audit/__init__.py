"""`hipaachat audit`: auditor evidence (HTML, JSON, Prowler CSV, OCSF) from a declared or deployed stack.

Modules: `sources` (what is audited), `evidence` (pack results -> controls, per tenant),
`scoping` (what one clinic may see), `tenants`, `notifications`, `secrets`, `records`
(waivers, promotions), one `render_*` per format, `output` (atomic writes), `command` (CLI).
"""
