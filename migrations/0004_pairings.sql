-- Why: analysts ask why a Stage 2 science exposure has that background (or imprint, nod partner, catalog): one row per pairing answers it.

-- Each Level 2 science exposure of a run with every other member of its
-- association: backgrounds, imprints, nod partners, target acquisitions, WFSS
-- catalogs. A science exposure alone in its association has no rows here.
create view pairings as
select
    a.run_id,
    a.pool_id,
    a.name          as association,
    a.asn_type,
    a.asn_id,
    a.rule,
    sx.filename     as science_file,
    s.row_no        as science_row,
    s.expname       as science,
    m.expname       as member,
    m.row_no        as member_row,
    m.exptype       as role
from associations as a
join members as s on s.run_id = a.run_id and s.asn_no = a.asn_no and s.exptype = 'science'
join members as m on m.run_id = a.run_id and m.asn_no = a.asn_no and m.position <> s.position
left join exposures as sx on sx.pool_id = a.pool_id and sx.row_no = s.row_no
where a.level = 2;
