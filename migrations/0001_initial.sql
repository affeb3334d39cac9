-- Why: the first schema: loaded pools, their exposures, and the candidates each exposure lists.

-- One row per migration file applied, written in the same transaction as the file.
create table schema_migrations (
    name       varchar primary key,
    applied_at timestamp not null
);

create sequence pools_pool_id_seq start 1;

-- One row per loaded pool file.
create table pools (
    pool_id   integer primary key default nextval('pools_pool_id_seq'),
    name      varchar not null unique,   -- the file's base name; it becomes asn_pool in documents
    source    varchar not null,          -- the path the pool was loaded from
    sha256    varchar not null,          -- of the file's bytes
    loaded_at timestamp not null,
    row_count integer not null,
    columns   varchar[] not null,        -- the pool's columns, lower-cased, in file order
    delimiter varchar not null,
    comments  varchar[] not null         -- the '#' lines, without the '#', in file order
);

-- One row per pool row. Values are normalised as jwst reads them: trimmed,
-- lower-cased, an empty cell becomes 'null' cut to the column's width. A known
-- column the pool does not have is NULL; columns asnsql does not know are kept
-- in `extra`.
create table exposures (
    pool_id       integer not null,
    row_no        integer not null,      -- 0-based, in file order (jwst's _row)
    line_no       integer not null,      -- 1-based line of the pool file
    filename      varchar,
    exp_type      varchar,
    program       varchar,
    obs_id        varchar,
    obs_num       varchar,
    visit         varchar,
    visit_id      varchar,
    visitgrp      varchar,
    seq_id        varchar,
    act_id        varchar,
    exposure      varchar,
    nexposur      varchar,
    expcount      varchar,
    visitype      varchar,
    wfsvisit      varchar,
    instrume      varchar,
    detector      varchar,
    channel       varchar,
    module        varchar,
    filter        varchar,
    pupil         varchar,
    grating       varchar,
    fxd_slit      varchar,
    band          varchar,
    subarray      varchar,
    targetid      varchar,
    targprop      varchar,
    targname      varchar,
    targtype      varchar,
    template      varchar,
    pntgtype      varchar,
    pntg_seq      varchar,
    targordn      varchar,
    expspcin      varchar,
    dithptin      varchar,
    mostilno      varchar,
    ditherid      varchar,
    pattstrt      varchar,
    pattsize      varchar,
    patttype      varchar,
    numdthpt      varchar,
    subpixel      varchar,
    subpxnum      varchar,
    subpxpts      varchar,
    subpxpns      varchar,
    patt_num      varchar,
    apername      varchar,
    sdp_ver       varchar,
    gwa_xtil      varchar,
    gwa_ytil      varchar,
    spec_num      varchar,
    spat_num      varchar,
    asn_candidate varchar,
    exposerr      varchar,
    is_psf        varchar,
    is_imprt      varchar,
    bkgdtarg      varchar,
    tsovisit      varchar,
    msastate      varchar,
    msametfl      varchar,
    opmode        varchar,
    lamp          varchar,
    dms_note      varchar,
    exsegtot      varchar,
    nints         varchar,
    ngroups       varchar,
    mtshadow      varchar,
    observtn      varchar,
    extra         map(varchar, varchar) not null,
    primary key (pool_id, row_no)
);

-- The ASN_CANDIDATE list of each exposure, one row per (id, type) pair.
create table exposure_candidates (
    pool_id  integer not null,
    row_no   integer not null,
    position integer not null,           -- 0-based position in the exposure's list
    acid     varchar not null,           -- candidate id: o001, c1000, ...
    ctype    varchar not null,           -- candidate type: observation, background, ...
    primary key (pool_id, row_no, position)
);
