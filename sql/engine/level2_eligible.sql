{% import 'macros/level2.sql' as l2 -%}
-- The exposures each Level 2 rule may use, one row per (rule, scope, exposure,
-- role): what the rule files in sql/rules/level2/ return. `is_science` rows found
-- associations; the others join them. A key column holds a value members must
-- share: NULL on either side means "any" (jwst's optional keys), and the
-- default '' means the rule does not key on it. `deferred` false: the row joins
-- only associations that exist when jwst reads it (no later pass). `founds`
-- false: jwst's test of a new association refuses the row, so it never founds
-- one that a later science then joins; it only joins. `requeue`
-- names the list jwst re-offers the row in when that is not its role (an
-- exposure both PSF and imprint joins as science through the imprint test).
-- A `replayed` rule replays jwst's pass itself: each row names the row that
-- founded the association it joins (`seed_row`), once per association.
create or replace temp table l2_eligible (
    rule        varchar not null,
    asn_type    varchar not null,
    rule_rank   integer not null,
    shape       varchar not null,     -- single, science, group or replayed (header `shape:`)
    scope_id    integer not null,
    row_no      integer not null,
    role        varchar not null,
    is_science  boolean not null,
    deferred    boolean not null default true,
    founds      boolean not null default true,
    requeue     varchar,              -- jwst's re-offer list of the row (default: its role)
    seed_row    integer,              -- shape replayed: the row that founded the row's association
{%- for key in l2.keys %}
    {{ key }} varchar default ''{% if not loop.last %},{% endif %}
{%- endfor %}
);
