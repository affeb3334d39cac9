-- The rows every rule of one run returns (the contract of sql/rules/README.md),
-- with the rule's level, name, asn_type and registry rank added by the engine.
create or replace temp table rule_matches (
    level         integer not null,
    rule          varchar not null,
    asn_type      varchar not null,
    rule_rank     integer not null,
    scope_id      integer not null,
    group_key     varchar not null,
    seed_row      integer not null,
    split_index   integer not null default 0,
    product_name  varchar not null,
    target        varchar,
    position      integer not null,
    row_no        integer,
    expname       varchar not null,
    exptype       varchar not null,
    exposerr      varchar,
    asn_candidate varchar,
    has_exposerr  boolean not null default true,
    -- jwst's degraded status, when members it held before finalize (a replaced
    -- direct image, a pruned imprint, a nod the split leaves out) had an error
    degraded      boolean not null default false,
    -- unfinalized (--no-finalize): false when jwst keeps and numbers the
    -- association but does not write it (a validity test fails)
    valid         boolean not null default true
);
