-- Why: pools of one program named by jwst's convention (jwPPPPP_YYYYMMDDtHHMMSS_pool.csv, one a day the program changes) are versions of one another, and a bare program name means the newest.

-- Every loaded pool with the program and version its name gives, when the name
-- follows jwst's convention jwPPPPP_YYYYMMDDtHHMMSS_pool.csv (all NULL otherwise).
-- A program's versions are ordered by the time in their names (then by pool_id);
-- `newest` marks the one a bare program name (jw01234) means.
create view pool_versions as
with named as (
    select
        pool_id,
        name,
        nullif(regexp_extract(name, '^(jw[0-9]{5})_[0-9]{8}[tT][0-9]{6}_pool\.csv$', 1), '')
            as program,
        nullif(lower(regexp_extract(name, '^jw[0-9]{5}_([0-9]{8}[tT][0-9]{6})_pool\.csv$', 1)), '')
            as version
    from pools
)
select
    pool_id,
    name,
    program,
    version,
    case when program is not null then row_number() over w end as version_no,
    case when program is not null then count(*) over (partition by program) end as versions,
    case when program is not null then lag(pool_id) over w end as previous_pool_id,
    case when program is not null
        then row_number() over w = count(*) over (partition by program) end as newest
from named
window w as (partition by program order by version, pool_id);
