{% import 'macros/level3.sql' as l3 -%}
{% set keys = l3.keys -%}
-- The exposures each Level 3 rule may use, one row per (rule, scope, exposure):
-- what the rule files in sql/rules/level3/ return. A key column holds the
-- value members of one association share; NULL means "any" (jwst's wildcard:
-- an unset optional value, a background's target, an s200a1/s200a2 slit), and
-- the default '' means the rule does not key on it.
create or replace temp table l3_eligible (
    rule        varchar not null,
    asn_type    varchar not null,
    rule_rank   integer not null,
    scope_id    integer not null,
    row_no      integer not null,
    role        varchar not null,
    expname     varchar not null,
    slit_token  varchar,  -- an s200a1/s200a2 slit, named apart
{%- for key in keys %}
    {{ key }} varchar{% if key not in ('k_program', 'k_instrume') %} default ''{% else %} not null{% endif %}{% if not loop.last %},{% endif %}
{%- endfor %}
);
