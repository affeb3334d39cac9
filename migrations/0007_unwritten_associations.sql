-- Why: with --no-finalize jwst forms associations it cannot write (invalid ones, such as a tso3 outside an observation candidate) and still numbers them; a run keeps them here, with the names and product names jwst gives them, so that users (and jwst's own product-name tests) can see them.

create table unwritten_associations (
    run_id       integer not null,
    pool_id      integer not null,
    name         varchar not null,    -- the file name jwst would give it, without .json
    level        integer not null,
    asn_type     varchar not null,
    asn_rule     varchar not null,    -- as a document would say: discover_Asn_Lv3TSO, ...
    asn_id       varchar not null,
    sequence     integer not null,    -- the number it took (written associations skip it)
    product_name varchar,
    target       varchar,
    n_members    integer not null,
    reason       varchar not null,    -- why no file: it fails a validity test, it has no science member
    seed_row     integer not null     -- the pool row that founded it
);
