-- Why: generation runs are data: each run, its associations, their products and members, and the exposures a run left out.

create sequence runs_run_id_seq start 1;

-- One row per `asnsql generate`.
create table runs (
    run_id        integer primary key default nextval('runs_run_id_seq'),
    pool_id       integer not null,
    started_at    timestamp not null,
    finished_at   timestamp not null,
    levels        integer[] not null,    -- [2], [3] or [2, 3]
    mode          varchar not null,      -- default, all-candidates, discover or ids
    candidate_ids varchar[],             -- the ids of --ids, else NULL
    version_id    varchar,               -- --version-id, else NULL
    finalized     boolean not null,      -- false with --no-finalize
    rules_hash    varchar not null,      -- sha256 over the rule and macro files used
    code_version  varchar not null,      -- asnsql's version
    timings       map(varchar, double) not null,  -- seconds per phase
    n_associations integer not null
);

-- One row per association a run kept; `name` is the file name without .json.
create table associations (
    run_id          integer not null,
    asn_no          integer not null,    -- 1.. within the run, in output order
    pool_id         integer not null,
    name            varchar not null,
    level           integer not null,
    asn_type        varchar not null,
    asn_rule        varchar not null,    -- as in the document: candidate_Asn_Lv3Image, ...
    rule            varchar not null,    -- the rule's class name: Asn_Lv3Image
    asn_id          varchar not null,    -- candidate id: o001, c1000, a3001
    candidate_type  varchar not null,    -- observation, background, ..., discovered
    sequence        integer not null,
    version_id      varchar,
    program         varchar not null,
    target          varchar,
    degraded_status varchar not null,
    constraints     varchar not null,
    seed_row        integer not null,    -- the pool row that founded it (creation order)
    primary key (run_id, asn_no)
);

-- The products of each association (one, as jwst writes them without --merge).
create table products (
    run_id     integer not null,
    asn_no     integer not null,
    product_no integer not null,
    name       varchar not null,
    primary key (run_id, asn_no, product_no)
);

-- The members of each product, in document order.
create table members (
    run_id        integer not null,
    asn_no        integer not null,
    product_no    integer not null,
    position      integer not null,
    row_no        integer,               -- the pool row; NULL for a derived file (catalog, nod copy)
    expname       varchar not null,
    exptype       varchar not null,
    exposerr      varchar,
    asn_candidate varchar,
    has_exposerr  boolean not null,      -- false for derived WFSS catalog files, which carry no exposerr key
    primary key (run_id, asn_no, product_no, position)
);

-- Exposures of a run's pool that are members of none of its associations.
create view orphans as
select r.run_id, x.*
from runs as r
join exposures as x on x.pool_id = r.pool_id
where not exists (
    select 1
    from members as m
    join exposures as mx on mx.pool_id = r.pool_id and mx.row_no = m.row_no
    where m.run_id = r.run_id and mx.filename = x.filename
);
