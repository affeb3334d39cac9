-- Level 2: turn the eligible exposures of every rule into associations, as
-- jwst's row-by-row pass and Level 2 finalize do (spec level2.md §3-§7), for all
-- rules at once. Shaped by the rule files: `rules` lists each rule's name and
-- its extra compatibility test, nod overlap test, suffix, candidate, WFSS and
-- imprint settings; `finalize` false (--no-finalize) leaves out what jwst's
-- finalize does: imprint pruning, nod splits, candidate validity, WFSS catalogs.
-- `rules` holds only the rules with eligible rows (every row below carries its
-- rule's name), so a pass that serves shapes or settings no such rule has is left
-- out: it would find no row to work on. `partners` false says that no rule of
-- shape `science` has an eligible row other than science: then no pair exists,
-- so no row founds an association before its science and no member can be
-- refused, and the passes that serve those are left out too.
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/grouping.sql' as grouping -%}
{% set keys = l2.keys -%}
{% set shapes = rules | map(attribute='shape') | list -%}
{% set with_science = 'science' in shapes or 'single' in shapes -%}
{% set with_groups = 'group' in shapes -%}
{% set with_replayed = 'replayed' in shapes -%}
{% set with_imprints = rules | selectattr('prune_imprints') | list | length > 0 -%}
{% set with_wfss = rules | selectattr('wfss') | list | length > 0 -%}
{#- The keys compatible_under_locks compares plainly (NULL on either side, or equal). -#}
{% set plain_keys = keys | reject('in', ['k_opt_elem', 'k_opt_elem2', 'k_grating']) | list -%}

{#- Whether row b may join the association row c founded: the keys as in
    `compatible`, MODE's filter/band and pupil/grating read from the columns c
    locks (cl: c's l2_row_locks row; ce, be: their scope_exposures rows). A
    pupil or grating that either leaves unset refuses nothing: the association
    holds the value its founder set. -#}
{% macro compatible_under_locks(c, b, cl, ce, be) -%}
{%- for k in plain_keys %}({{ c }}.{{ k }} is null or {{ b }}.{{ k }} is null or {{ c }}.{{ k }} = {{ b }}.{{ k }}) and {% endfor -%}
(case {{ cl }}.lock1 when 'filter' then {{ ce }}.filter = {{ be }}.filter
     when 'band' then {{ ce }}.band = {{ be }}.band
     else {{ c }}.k_opt_elem is not distinct from {{ b }}.k_opt_elem end)
and coalesce(case {{ cl }}.lock2
     when 'pupil' then {{ be }}.pupil is null or {{ ce }}.pupil is null or {{ ce }}.pupil = {{ be }}.pupil
     when 'grating' then {{ be }}.grating is null or {{ ce }}.grating is null or {{ ce }}.grating = {{ be }}.grating
     else true end, false)
{%- endmacro %}

{#- `relation` (rows of l2_eligible's rule, scope_id and plain keys) with part_no:
    its rows of a rule and candidate cut by the plain keys that every one of them
    sets. Rows of two parts differ in a set key, so compatible_under_locks never
    pairs them: pairing and replaying per part grows with a program rather than
    with a candidate that spans the pool (o001, the discovery). -#}
{% macro with_parts(relation) -%}
select *, dense_rank() over (order by rule, scope_id, [
{%- for k in plain_keys %}
    case when (wild & {{ 2 ** loop.index0 }}) = 0 then {{ k }} end{% if not loop.last %},{% endif %}
{%- endfor %}]) as part_no
from (
    select *, bit_or({{ grouping.null_mask('r', plain_keys) }}) over (partition by rule, scope_id) as wild
    from {{ relation }} as r
)
{%- endmacro %}

{% set pair_keys = keys | reject('in', ['k_opt_elem2', 'k_grating']) | list -%}
{#- Whether pair p counts in an association whose MODE locks are lock1 (the
    column of filter, band read) and lock2 (pupil, grating, or NULL: neither). -#}
{% macro under_lock(p, lock1, lock2) -%}
({{ p }}.lock1 = {{ lock1 }} and ({{ lock2 }} is null
    or {{ lock2 }} = 'pupil' and {{ p }}.pupil_ok or {{ lock2 }} = 'grating' and {{ p }}.grating_ok))
{%- endmacro %}

{#- The earlier row that founds each science exposure's association (seed_row):
    a row whose first compatible science exposure it is, read before it, and
    not itself the science of an association. Pairs with the row read first
    count under that row's locks; pairs with the science read first under
    taken_lock1/taken_lock2 (over `p` and the science's l2_row_locks `s`, after
    `joins`). -#}
{% macro seeds_from(taken_lock1, taken_lock2, joins='', every=false) -%}
with founded as (
    select p.*
    from l2_pairs as p
    join l2_row_locks as b on b.rule = p.rule and b.scope_id = p.scope_id and b.row_no = p.row_no
    join l2_row_locks as s on s.rule = p.rule and s.scope_id = p.scope_id and s.row_no = p.science_row
    {{ joins }}
    where case when p.row_no < p.science_row
               then {{ under_lock('p', 'b.lock1', 'coalesce(b.lock2, s.lock2)') }}
               else {{ under_lock('p', taken_lock1, taken_lock2) }} end
),
firsts as (
    select rule, scope_id, row_no, min(science_row) as first_science
    from founded group by all
)
select p.rule, p.scope_id, p.science_row, {{ 'p.row_no' if every else 'min(p.row_no)' }} as seed_row
from founded as p
join firsts as f using (rule, scope_id, row_no)
where p.row_no < p.science_row and f.first_science = p.science_row
  and not exists (
      select 1 from l2_eligible as own
      where own.rule = p.rule and own.scope_id = p.scope_id and own.row_no = p.row_no
        and (own.is_science or not own.founds))
group by all
{%- endmacro %}

-- ---- One association per science exposure (shapes `science` and `single`) ----
{% if with_science %}

-- MODE (jwst's Constraint_Mode) locks columns: its filter/band test reads the
-- first of filter, band that the association's founding row sets, and from then
-- on only that column; its optional pupil/grating test likewise with pupil,
-- grating (a founder that sets neither leaves the choice to a later member).
-- So whether two rows may share an association depends on the row that founded
-- it. A row's own choice: lock1 'filter' or 'band' ('' for a rule without MODE,
-- whose k_opt_elem keeps its default ''), lock2 'pupil', 'grating' or NULL.
create or replace temp table l2_row_locks as
select e.rule, e.scope_id, e.row_no,
       any_value(case when e.k_opt_elem is not distinct from '' then ''
                      else split_part(e.k_opt_elem, ':', 1) end) as lock1,
       any_value(case when e.k_opt_elem is not distinct from '' then null
                      when e.k_opt_elem2 is not null then 'pupil'
                      when e.k_grating is not null then 'grating' end) as lock2
from l2_eligible as e
group by all;

-- Each science exposure with every other exposure of its rule and candidate
-- that may join it. Two rows are compatible when each key is NULL on either
-- side or equal: seen through the union of their wildcard patterns (a key made
-- NULL where either has it NULL), their keys are equal. Each side is seen
-- through every pattern of the other side in the scope, so that the test is an
-- equality join instead of every science row against every other row.
-- MODE's locked columns: a row is seen once per column of filter, band that it
-- sets (k_opt_elem that value), and the pair is tagged with the column both are
-- read by (lock1); pupil and grating are compared after the join (pupil_ok,
-- grating_ok). Which tag and which of the two count is the founder's choice
-- (`under_lock`).
{% if partners -%}
create or replace temp table l2_pairs as
with read_by as (
    select e.* exclude (k_opt_elem2, k_grating), x.filter as read_filter, x.band as read_band
    from l2_eligible as e
    join scope_exposures as x on x.scope_id = e.scope_id and x.row_no = e.row_no
),
sides_read as (
    select * replace (read_filter as k_opt_elem), 'filter' as lock1
    from read_by where k_opt_elem is distinct from '' and read_filter is not null
    union all
    select * replace (read_band as k_opt_elem), 'band' as lock1
    from read_by where k_opt_elem is distinct from '' and read_band is not null
    union all
    select *, '' as lock1
    from read_by where k_opt_elem is not distinct from ''
),
sides as (
    select rule, scope_id, row_no, role, deferred, requeue, is_science, shape, lock1,
           {{ pair_keys | join(', ') }}, {{ grouping.null_mask('e', pair_keys) }} as mask
    from sides_read as e
),
science_patterns as (
    select distinct rule, scope_id, mask from sides where is_science and shape = 'science'
),
other_patterns as (
    select distinct rule, scope_id, mask from sides where not is_science
),
science_seen as (
    select s.rule, s.scope_id, s.row_no, s.lock1, s.mask, p.mask as other_mask,
    {%- for k in pair_keys %}
        {{ grouping.masked('s', k, loop.index0, 's.mask | p.mask') }} as {{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from sides as s
    join other_patterns as p on p.rule = s.rule and p.scope_id = s.scope_id
    where s.is_science and s.shape = 'science'
),
other_seen as (
    select b.rule, b.scope_id, b.row_no, b.role, b.deferred, b.requeue, b.lock1, b.mask,
        p.mask as science_mask,
    {%- for k in pair_keys %}
        {{ grouping.masked('b', k, loop.index0, 'b.mask | p.mask') }} as {{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from sides as b
    join science_patterns as p on p.rule = b.rule and p.scope_id = b.scope_id
    where not b.is_science
)
select
    s.rule, s.scope_id, s.row_no as science_row, b.row_no, b.role, b.deferred,
    coalesce(b.requeue, b.role) as requeue, s.lock1,
    (se.pupil is null or be.pupil is null or se.pupil = be.pupil) as pupil_ok,
    (se.grating is null or be.grating is null or se.grating = be.grating) as grating_ok
from science_seen as s
join other_seen as b
  on b.rule = s.rule and b.scope_id = s.scope_id and b.row_no <> s.row_no
 and b.lock1 = s.lock1
 and b.mask = s.other_mask and b.science_mask = s.mask
{%- for k in pair_keys %}
 and b.{{ k }} is not distinct from s.{{ k }}
{%- endfor %}
join scope_exposures as se on se.scope_id = s.scope_id and se.row_no = s.row_no
join scope_exposures as be on be.scope_id = b.scope_id and be.row_no = b.row_no
where se.filename <> be.filename
  -- a rule's own test between the two (e.g. the nod partners of Asn_Lv2MIRLRSFixedSlitNod)
  and (case when false then false
{%- for rule in rules if rule.compatible %}
    when s.rule = '{{ rule.name }}' then {{ rule.compatible }}
{%- endfor %}
    else true end);

-- jwst reads rows in order: an exposure that can join no association yet
-- founds one, which the first compatible science exposure after it then takes.
-- An exposure that is the science of its own association (a nod, an imprint
-- read first) founds that one instead; one a new association refuses (`founds`
-- false) founds none.
-- A row read before the science founds the association, so its locks count
-- (the science's pupil/grating where it sets neither); a row read after it
-- joins the science's association under that one's locks. Those come from its
-- founder, so the seeds are found twice: first taking each science as its own
-- founder, then with the founders found (a founder found only in the second
-- round is not fed back: one more link of a chain of locks).
create or replace temp table l2_seeds_first as
{{ seeds_from('s.lock1', 's.lock2') }};

create or replace temp table l2_seed_candidates as
{{ seeds_from('f.lock1', 'coalesce(f.lock2, s.lock2)',
    'left join l2_seeds_first as d on d.rule = p.rule and d.scope_id = p.scope_id and d.science_row = p.science_row
    join l2_row_locks as f on f.rule = p.rule and f.scope_id = p.scope_id
     and f.row_no = coalesce(d.seed_row, p.science_row)', every=true) }};

-- A waiting row that can join the association an earlier waiting row founded
-- does so, whichever science that one waits for; one that can join none founds
-- another. A science, read later, joins every association founded for it (jwst's
-- finalize then prunes those named alike). Replayed in pool order per part
-- (with_parts) where two or more rows wait.
-- A second copy of a file (`copy`: an earlier eligible row of the rule and
-- candidate has its name) founds nothing: jwst finds it already a member of the
-- association the first copy joined, which counts as a match whatever its keys.
create or replace temp table l2_waiting as
with parted as (
    {{ with_parts('(select c.*, e.' ~ (plain_keys | join(', e.')) ~ '
      from l2_seed_candidates as c
      join l2_eligible as e on e.rule = c.rule and e.scope_id = c.scope_id and e.row_no = c.seed_row)') }}
),
firsts as (
    select d.rule, d.scope_id, de.filename, min(d.row_no) as first_row
    from l2_eligible as d
    join scope_exposures as de on de.scope_id = d.scope_id and de.row_no = d.row_no
    group by all
),
waiting as (
    select p.rule, p.scope_id, p.science_row, p.seed_row, p.part_no,
           f.first_row < p.seed_row as copy,
           row_number() over (partition by p.part_no order by p.seed_row) as step,
           count(*) over (partition by p.part_no) as waiting
    from parted as p
    join scope_exposures as x on x.scope_id = p.scope_id and x.row_no = p.seed_row
    join firsts as f on f.rule = p.rule and f.scope_id = p.scope_id and f.filename = x.filename
)
select w.* exclude (waiting), w.waiting > 1 as several
from waiting as w;

-- the waiting rows where two or more wait, with what the test below reads (a
-- small table: joined to itself, so that the planner cannot pair whole scopes)
create or replace temp table l2_waiting_keys as
select w.rule, w.scope_id, w.seed_row, w.part_no, e.* exclude (rule, scope_id, row_no), l.lock1, l.lock2,
       x.filter, x.band, x.pupil, x.grating
from l2_waiting as w
join l2_eligible as e on e.rule = w.rule and e.scope_id = w.scope_id and e.row_no = w.seed_row
join l2_row_locks as l on l.rule = w.rule and l.scope_id = w.scope_id and l.row_no = w.seed_row
join scope_exposures as x on x.scope_id = w.scope_id and x.row_no = w.seed_row
where w.several;

create or replace temp table l2_seeds as
select rule, scope_id, science_row, seed_row from l2_waiting where not several and not copy;

-- (no part where two or more rows wait: nothing to replay)
-- asnsql: unless_empty l2_waiting_keys
-- jwst fixes an association's key the first time a member sets it, so a row
-- that joins a waiting association (an imprint's tile in one a background
-- founded) narrows the science that may take it: the science is the first one
-- read after the founder that agrees with every member read before it (not
-- the founder's first science), and a row read later joins only an association
-- whose every member (and science) it agrees with. The waiting rows and the
-- science exposures they agree with are replayed together, in pool order.
insert into l2_seeds
with several as (
    select * exclude (several) from l2_waiting where several
),
-- the MODE locks an association of the part may have: a waiting row's own
-- (lock1|lock2); members and sciences are judged under their founder's
part_locks as (
    select distinct part_no, lock1, lock2, lock1 || '|' || coalesce(lock2, '') as lock
    from l2_waiting_keys
),
-- the earlier waiting rows each row agrees with, under each lock of the part
joinable as (
    select b.part_no, b.seed_row, list(distinct {'lock': l.lock, 'row': c.seed_row}) as earlier
    from l2_waiting_keys as b
    join l2_waiting_keys as c on c.part_no = b.part_no and c.seed_row < b.seed_row
    join part_locks as l on l.part_no = b.part_no
    where {{ compatible_under_locks('c', 'b', 'l', 'c', 'b') }}
    group by all
),
-- the science exposures read after each waiting row that agree with it, under each lock
agrees as (
    select distinct w.part_no, w.seed_row, p.science_row, l.lock
    from l2_waiting_keys as w
    join l2_pairs as p on p.rule = w.rule and p.scope_id = w.scope_id and p.row_no = w.seed_row
    join l2_row_locks as s on s.rule = p.rule and s.scope_id = p.scope_id and s.row_no = p.science_row
    join part_locks as l on l.part_no = w.part_no
    where p.science_row > w.seed_row
      and {{ under_lock('p', 'l.lock1', 'coalesce(l.lock2, s.lock2)') }}
),
steps as (
    select w.part_no, w.seed_row as row_no, true as waiting, w.copy,
           o.lock1 || '|' || coalesce(o.lock2, '') as lock,
           coalesce(j.earlier, []) as earlier,
           coalesce(a.agreeing, []) as agreeing
    from several as w
    join l2_row_locks as o on o.rule = w.rule and o.scope_id = w.scope_id and o.row_no = w.seed_row
    left join joinable as j on j.part_no = w.part_no and j.seed_row = w.seed_row
    left join (
        select part_no, seed_row, list({'lock': lock, 'row': science_row}) as agreeing
        from agrees group by all
    ) as a on a.part_no = w.part_no and a.seed_row = w.seed_row
    union all
    select part_no, science_row, false, false, '', [], list({'lock': lock, 'row': seed_row})
    from agrees
    group by all
),
ordered as (
    select *, row_number() over (partition by part_no order by row_no) as step
    from steps
),
-- each association a waiting row founded: its founder, locks, members and science
-- (a copy of a file read before joins what it may, and founds nothing)
replay as (
    with recursive pass using key (part_no) as (
        select part_no, step,
               list_filter([{'founder': row_no, 'lock': lock, 'members': [row_no], 'science': null::integer}],
                   lambda a: not copy) as founded
        from ordered where step = 1
        union
        select p.part_no, w.step,
               case when not w.waiting
                    then list_transform(p.founded, lambda a: case
                        when a.science is null and list_has_all(w.agreeing,
                            list_transform(a.members, lambda m: {'lock': a.lock, 'row': m}))
                        then {'founder': a.founder, 'lock': a.lock, 'members': a.members,
                              'science': w.row_no}
                        else a end)
                    when list_bool_or(list_transform(p.founded, lambda a:
                        list_has_all(w.earlier, list_transform(a.members, lambda m: {'lock': a.lock, 'row': m}))
                        and (a.science is null
                             or list_contains(w.agreeing, {'lock': a.lock, 'row': a.science}))))
                    then list_transform(p.founded, lambda a: case
                        when list_has_all(w.earlier, list_transform(a.members, lambda m: {'lock': a.lock, 'row': m}))
                         and (a.science is null
                              or list_contains(w.agreeing, {'lock': a.lock, 'row': a.science}))
                        then {'founder': a.founder, 'lock': a.lock,
                              'members': list_append(a.members, w.row_no), 'science': a.science}
                        else a end)
                    when w.copy then p.founded
                    else list_append(p.founded, {'founder': w.row_no, 'lock': w.lock,
                        'members': [w.row_no], 'science': null::integer})
               end
        from pass as p
        join ordered as w on w.part_no = p.part_no and w.step = p.step + 1
    )
    select part_no, unnest(founded, recursive := true) from pass
)
select distinct w.rule, w.scope_id, r.science, r.founder
from replay as r
join several as w on w.part_no = r.part_no and w.seed_row = r.founder
where r.science is not null;

-- asnsql: end
{%- endif %}
-- jwst creates an association of a rule only from a row that matched none of
-- that rule's existing ones: a second copy of a file already taken (matched by
-- its name), or a row whose other role joins an association founded before it,
-- founds nothing. A join in a role the rule names `unmatched` does not count:
-- jwst's force_match makes an association that took such a row answer "no
-- match", so the row founds its own all the same (Asn_Lv2MIRLRSFixedSlitNod).
create or replace temp table l2_founding as
with science_rows as (
    select s.rule, s.asn_type, s.rule_rank, s.scope_id, s.row_no as science_row,
           {% if partners %}least(s.row_no, coalesce(d.seed_row, s.row_no)){% else %}s.row_no{% endif %} as seed_row
    from l2_eligible as s
    {%- if partners %}
    left join l2_seeds as d on d.rule = s.rule and d.scope_id = s.scope_id and d.science_row = s.row_no
    {%- endif %}
    where s.is_science and s.shape in ('science', 'single')
),
-- the locks of the association: its founding row's
science as (
    select a.*, r.lock1, coalesce(r.lock2, l.lock2) as lock2
    from science_rows as a
    join l2_row_locks as r on r.rule = a.rule and r.scope_id = a.scope_id and r.row_no = a.seed_row
    join l2_row_locks as l on l.rule = a.rule and l.scope_id = a.scope_id and l.row_no = a.science_row
)
select s.*
from science as s
join scope_exposures as se on se.scope_id = s.scope_id and se.row_no = s.science_row
-- (the first row of the file's: an equality join, where a "read before" test
-- would pair every two rows of a scope)
where coalesce((
        select min(d.row_no)
        from l2_eligible as d
        join scope_exposures as de on de.scope_id = d.scope_id and de.row_no = d.row_no
        where d.rule = s.rule and d.scope_id = s.scope_id and de.filename = se.filename),
        s.science_row) >= s.science_row
{%- if partners %}
  and not exists (
        select 1
        from l2_pairs as p
        join science as o on o.rule = p.rule and o.scope_id = p.scope_id and o.science_row = p.science_row
        where p.rule = s.rule and p.scope_id = s.scope_id and p.row_no = s.science_row
          and o.seed_row < s.science_row
          and {{ under_lock('p', 'o.lock1', 'o.lock2') }}
          and not (case when false then false
{%- for rule in rules if rule.unmatched %}
              when p.rule = '{{ rule.name }}' then p.role in ({% for role in rule.unmatched %}'{{ role }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endfor %}
              else false end))
{%- endif %};

{#- The members of the associations of `founding` (rows as l2_founding's):
    the science, and every row that agrees with it under the association's
    locks, read from its founding row on or offered again. -#}
{% macro members_of(founding) -%}
with science as (
    select * from {{ founding }}
)
select
    s.rule, s.asn_type, s.rule_rank, s.scope_id,
    s.scope_id || '/' || s.rule || '/' || s.science_row || '/' || s.seed_row as association,
    s.seed_row,
    0                               as split_index,
    s.science_row,
    s.science_row                   as row_no,
    'science'                       as role,
    1                               as phase,
    0                               as requeue_row
from science as s
{%- if partners %}
union all
select
    s.rule, s.asn_type, s.rule_rank, s.scope_id, s.scope_id || '/' || s.rule || '/' || s.science_row || '/' || s.seed_row, s.seed_row, 0,
    s.science_row, p.row_no, p.role,
    -- jwst re-offers target acquisitions (Asn_Lv3ACQ_Reprocess) in its last
    -- pass, after the other re-offered exposures
    case when p.row_no >= s.seed_row then 1 when p.role = 'target_acquisition' then 3 else 2 end,
    -- jwst re-offers rows in one list per kind (imprint, background, ...), the
    -- lists in the order the pass first filled them: by the kind's first row
    case when p.row_no < s.seed_row then k.first_row else 0 end
from science as s
join l2_pairs as p on p.rule = s.rule and p.scope_id = s.scope_id and p.science_row = s.science_row
 and {{ under_lock('p', 's.lock1', 's.lock2') }}
join (
    select rule, scope_id, coalesce(requeue, role) as requeue, min(row_no) as first_row
    from l2_eligible where not is_science group by all
) as k on k.rule = p.rule and k.scope_id = p.scope_id and k.requeue = p.requeue
-- a row jwst does not re-offer joins only associations that exist when it is read
where p.deferred or p.row_no >= s.seed_row
{%- endif %}
{%- endmacro %}

create or replace temp table l2_members as
{{ members_of('l2_founding') }};
{% else %}
create or replace temp table l2_members as
select rule, asn_type, rule_rank, scope_id, ''::varchar as association, row_no as seed_row,
       0 as split_index, row_no as science_row, row_no, role, 1 as phase, 0 as requeue_row
from l2_eligible where false;
{% endif %}

-- Rules that replay jwst's pass themselves (shape `replayed`) name each
-- member's association by the row that founded it. Members come as jwst adds
-- them: from the founding row on in pool order, then the rows offered again,
-- target acquisitions last.
{% if with_replayed -%}
insert into l2_members
select
    e.rule, e.asn_type, e.rule_rank, e.scope_id,
    e.scope_id || '/' || e.rule || '/replayed/' || e.seed_row as association,
    e.seed_row, 0, e.seed_row, e.row_no, e.role,
    case when e.row_no >= e.seed_row then 1 when e.requeue = 'target_acquisition' then 3 else 2 end,
    0
from l2_eligible as e
where e.shape = 'replayed';
{%- endif %}

-- An association takes a file once: of two copies, the one that joins first
-- (jwst finds the second already a member).
{% macro once_per_file() -%}
delete from l2_members
where (association, row_no) in (
    select (m.association, m.row_no)
    from l2_members as m
    join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
    qualify row_number() over (
        partition by m.association, e.filename order by m.phase, m.requeue_row, m.row_no) > 1
);
{%- endmacro %}
{{ once_per_file() }}
{#- (without pairs an association of this shape holds its science alone: no member
    to refuse) #}
{% if with_science and partners %}

-- jwst fixes an association's optional key the first time a member sets it; a
-- later member with another value is refused. The science and the founder fix
-- theirs, and every pair above agrees with the science, so only a key both
-- leave unset can refuse anyone: where two members set it differently, the
-- members are replayed in the order they join, each fixing the keys it sets.
{% set fold_keys = pair_keys | reject('equalto', 'k_opt_elem') | list -%}
{% macro fold(founding) -%}
create or replace temp table l2_fold_contested as
select m.association
from l2_members as m
semi join {{ founding }} as f
  on m.association = f.scope_id || '/' || f.rule || '/' || f.science_row || '/' || f.seed_row
join l2_eligible as e on e.rule = m.rule and e.scope_id = m.scope_id and e.row_no = m.row_no and e.role = m.role
join scope_exposures as x on x.scope_id = m.scope_id and x.row_no = m.row_no
where e.shape in ('science', 'single')
group by m.association
having false
{%- for k in fold_keys %}
    or min(e.{{ k }}) <> max(e.{{ k }})
{%- endfor %}
    -- MODE's pupil/grating (rules without MODE have k_opt_elem '' and do not read them)
    or min(x.pupil) filter (where e.k_opt_elem is distinct from '')
       <> max(x.pupil) filter (where e.k_opt_elem is distinct from '')
    or min(x.grating) filter (where e.k_opt_elem is distinct from '')
       <> max(x.grating) filter (where e.k_opt_elem is distinct from '');

-- (no association contested: nothing to replay or refuse; the caller ends the block)
-- asnsql: unless_empty l2_fold_contested
create or replace temp table l2_fold_members as
with keyed as (
    select rule, scope_id, row_no, role,
    {%- for k in fold_keys %}
        any_value({{ k }}) as {{ k }},
    {%- endfor %}
        bool_or(k_opt_elem is distinct from '') as mode
    from l2_eligible
    where shape in ('science', 'single')
    group by all
)
select
    m.rule, m.scope_id, m.association, m.row_no, m.role, m.science_row, m.seed_row,
    row_number() over (partition by m.association order by m.phase, m.requeue_row, m.row_no) as position,
    [{% for k in fold_keys %}e.{{ k }}::varchar{% if not loop.last %}, {% endif %}{% endfor %}] as keys,
    -- the column of pupil, grating a member would fix, and its value
    case when e.mode and x.pupil is not null then 'pupil' when e.mode and x.grating is not null then 'grating' end as lock2,
    case when e.mode then coalesce(x.pupil, x.grating) end as lock2_value,
    case when e.mode then x.pupil end as pupil,
    case when e.mode then x.grating end as grating,
    f.lock2 as asn_lock2
from l2_members as m
semi join l2_fold_contested as c on c.association = m.association
join {{ founding }} as f
  on m.association = f.scope_id || '/' || f.rule || '/' || f.science_row || '/' || f.seed_row
join keyed as e on e.rule = m.rule and e.scope_id = m.scope_id and e.row_no = m.row_no and e.role = m.role
join scope_exposures as x on x.scope_id = m.scope_id and x.row_no = m.row_no;

create or replace temp table l2_fold_refused as
with recursive fold using key (association) as (
    -- the science and the founder fix their keys first
    select
        association, 0 as step,
        list_reduce(list(keys order by row_no <> science_row),
            lambda a, b: list_transform(list_zip(a, b), lambda p: coalesce(p[1], p[2]))) as keys,
        coalesce(any_value(asn_lock2), arg_min(lock2, row_no <> science_row)) as lock2,
        case coalesce(any_value(asn_lock2), arg_min(lock2, row_no <> science_row))
            when 'pupil' then arg_min(pupil, row_no <> science_row) filter (where pupil is not null)
            when 'grating' then arg_min(grating, row_no <> science_row) filter (where grating is not null)
        end as lock2_value,
        []::struct(row_no bigint, role varchar)[] as refused
    from l2_fold_members
    where row_no = science_row or (row_no = seed_row and row_no <> science_row)
    group by association
    union
    select
        association, step,
        case when agrees then list_transform(list_zip(a_keys, keys), lambda p: coalesce(p[1], p[2]))
             else a_keys end,
        case when agrees then coalesce(a_lock2, lock2) else a_lock2 end,
        case when agrees and a_lock2 is null then lock2_value else a_lock2_value end,
        case when agrees then refused else list_append(refused, {'row_no': row_no, 'role': role}) end
    from (
        select
            f.association, f.step + 1 as step, f.keys as a_keys, f.lock2 as a_lock2,
            f.lock2_value as a_lock2_value, f.refused, m.keys, m.lock2, m.lock2_value, m.row_no, m.role,
            list_bool_and(list_transform(list_zip(f.keys, m.keys),
                lambda p: p[1] is null or p[2] is null or p[1] = p[2]))
            and coalesce(case f.lock2
                when 'pupil' then m.pupil is null or m.pupil = f.lock2_value
                when 'grating' then m.grating is null or m.grating = f.lock2_value
                else true end, false) as agrees
        from fold as f
        join (
            select *, row_number() over (partition by association order by position) as step
            from l2_fold_members
            where row_no <> science_row and row_no <> seed_row
        ) as m on m.association = f.association and m.step = f.step + 1
    )
)
select association, unnest(refused, recursive := true)
from fold;

delete from l2_members as m
where exists (
    select 1 from l2_fold_refused as r
    where r.association = m.association and r.row_no = m.row_no and r.role = m.role
);
{%- endmacro %}
{{ fold('l2_founding') }}

-- (nobody refused: nobody founds anew)
-- asnsql: unless_empty l2_fold_refused
-- A member refused when read (not when offered again) founds an association of
-- its own where it joined no other of its rule when read; the first science
-- after it that agrees with it under its own locks joins that association, as
-- it joins any founded for it (in place of one it would have founded itself).
-- Members refused in these associations found nothing more (one link of a chain).
create or replace temp table l2_refounding as
with refused as (
    select distinct m.rule, m.scope_id, r.row_no
    from l2_fold_refused as r
    join l2_fold_members as m using (association, row_no, role)
    where r.row_no >= m.seed_row
),
founders as (
    select r.rule, r.scope_id, r.row_no
    from refused as r
    join l2_eligible as own on own.rule = r.rule and own.scope_id = r.scope_id and own.row_no = r.row_no
    where not exists (
        select 1 from l2_members as m
        where m.rule = r.rule and m.scope_id = r.scope_id and m.row_no = r.row_no and m.row_no >= m.seed_row)
    group by all
    having not bool_or(own.is_science or not own.founds)
),
-- of those, one that agrees with an earlier one joins its association instead
founders_keys as (
    select * from ({{ with_parts('(select f.rule, f.scope_id, f.row_no as seed_row, e.* exclude (rule, scope_id, row_no),
           l.lock1, l.lock2, x.filter, x.band, x.pupil, x.grating
    from founders as f
    join l2_eligible as e on e.rule = f.rule and e.scope_id = f.scope_id and e.row_no = f.row_no
    join l2_row_locks as l on l.rule = f.rule and l.scope_id = f.scope_id and l.row_no = f.row_no
    join scope_exposures as x on x.scope_id = f.scope_id and x.row_no = f.row_no)') }})
),
joining as (
    select distinct b.rule, b.scope_id, b.seed_row as row_no
    from founders_keys as b
    join founders_keys as c on c.part_no = b.part_no and c.seed_row < b.seed_row
    where {{ compatible_under_locks('c', 'b', 'c', 'c', 'b') }}
),
firsts as (
    select f.rule, f.scope_id, f.row_no as seed_row, min(p.science_row) as science_row
    from (select * from founders except select * from joining) as f
    join l2_pairs as p on p.rule = f.rule and p.scope_id = f.scope_id and p.row_no = f.row_no
     and p.science_row > f.row_no
    join l2_row_locks as b on b.rule = f.rule and b.scope_id = f.scope_id and b.row_no = f.row_no
    join l2_row_locks as s on s.rule = p.rule and s.scope_id = p.scope_id and s.row_no = p.science_row
    where {{ under_lock('p', 'b.lock1', 'coalesce(b.lock2, s.lock2)') }}
    group by all
)
select f.rule, e.asn_type, e.rule_rank, f.scope_id, f.science_row, f.seed_row,
       b.lock1, coalesce(b.lock2, l.lock2) as lock2
from firsts as f
join (select rule, scope_id, row_no, any_value(asn_type) as asn_type, any_value(rule_rank) as rule_rank
      from l2_eligible where is_science group by all) as e
  on e.rule = f.rule and e.scope_id = f.scope_id and e.row_no = f.science_row
join l2_row_locks as b on b.rule = f.rule and b.scope_id = f.scope_id and b.row_no = f.seed_row
join l2_row_locks as l on l.rule = f.rule and l.scope_id = f.scope_id and l.row_no = f.science_row;

-- the association a science founded itself gives way to the one it joins
delete from l2_members
where association in (
    select f.scope_id || '/' || f.rule || '/' || f.science_row || '/' || f.seed_row
    from l2_founding as f
    semi join l2_refounding as r on r.rule = f.rule and r.scope_id = f.scope_id and r.science_row = f.science_row
    where f.seed_row = f.science_row
);
delete from l2_founding as f
where f.seed_row = f.science_row
  and exists (select 1 from l2_refounding as r
              where r.rule = f.rule and r.scope_id = f.scope_id and r.science_row = f.science_row);
insert into l2_founding by name select * from l2_refounding;
insert into l2_members {{ members_of('l2_refounding') }};
{{ once_per_file() }}
{{ fold('l2_refounding') }}
-- asnsql: end
-- asnsql: end
-- asnsql: end
{% endif %}

-- ---- Groups split into one association per science exposure (shape `group`) ----
{% if with_groups %}

-- MODE's filter/band and pupil/grating tests read the column the group's
-- first row that sets one fixes (see l2_row_locks): lock keys of the pass, read
-- from the exposure's columns. MODE's k_grating is part of k_opt_elem2's lock
-- there, so it plays no part of its own.
{{ grouping.wildcard_groups(
    'l2_nod',
    "(select g.* replace (case when g.k_opt_elem2 is distinct from '' then '' else g.k_grating end
                          as k_grating),
             e.filter, e.band, e.pupil, e.grating
      from l2_eligible as g
      join scope_exposures as e on e.scope_id = g.scope_id and e.row_no = g.row_no
      where g.shape = 'group')",
    keys,
    {'k_opt_elem': {'sources': ['filter', 'band'], 'required': true},
     'k_opt_elem2': {'sources': ['pupil', 'grating'], 'required': false}}) }}

create or replace temp table l2_group_members as
select c.*, f.founder_row, e.filename
from l2_nod_candidates as c
join l2_nod_founders as f using (group_id)
join scope_exposures as e on e.scope_id = c.scope_id and e.row_no = c.row_no
where c.deferred or c.row_no >= f.founder_row
qualify row_number() over (partition by c.group_id, e.filename order by c.row_no) = 1;

-- jwst's degraded status sticks once a member with an error joins, whatever
-- finalize later removes: a split copies its group's status.
create or replace temp table l2_group_degraded as
select distinct m.group_id
from l2_group_members as m
join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
where {{ x.is_set_text('e.exposerr') }};

{% if finalize %}
-- Imprint pruning of groups happens before they are split (Asn_Lv2NRSIFUNod).
{% if with_imprints %}{{ l2.prune_imprints('l2_group_members', 'group_id', rules) }}{% endif %}

-- jwst splits only valid groups: in a background candidate the group must hold
-- a background exposure itself (nods the split turns into background do not count).
delete from l2_group_members
where group_id in (
    select g.group_id
    from l2_group_members as g
    join scopes as s using (scope_id)
    where g.rule not in ({% for rule in rules if rule.any_candidate %}'{{ rule.name }}', {% endfor %}'')
    group by g.group_id, s.ctype
    having not (s.ctype = 'observation'
                or s.ctype = 'background' and bool_or(g.role = 'background'))
);

-- One association per science member: it as science, the other science members
-- whose nods do not overlap it as background, and the group's other members.
insert into l2_members
with science as (
    select m.*, row_number() over (partition by m.group_id order by m.row_no) - 1 as split_index
    from l2_group_members as m where m.is_science
)
select s.rule, s.asn_type, s.rule_rank, s.scope_id, s.scope_id || '/' || s.rule || '/group/' || s.founder_row || '/' || s.row_no,
       s.founder_row, s.split_index, s.row_no, s.row_no, 'science', 1, 0
from science as s
union all
select s.rule, s.asn_type, s.rule_rank, s.scope_id, s.scope_id || '/' || s.rule || '/group/' || s.founder_row || '/' || s.row_no,
       s.founder_row, s.split_index, s.row_no, t.row_no, 'background', 2, 0
from science as s
join science as t on t.group_id = s.group_id and t.row_no <> s.row_no
join scope_exposures as se on se.scope_id = s.scope_id and se.row_no = s.row_no
join scope_exposures as te on te.scope_id = t.scope_id and te.row_no = t.row_no
where not (case when false then false
{%- for rule in rules if rule.overlap %}
    when s.rule = '{{ rule.name }}' then {{ l2.nods_overlap('se', 'te', rule.overlap) }}
{%- endfor %}
    else false end)
union all
select s.rule, s.asn_type, s.rule_rank, s.scope_id, s.scope_id || '/' || s.rule || '/group/' || s.founder_row || '/' || s.row_no,
       s.founder_row, s.split_index, s.row_no, n.row_no, n.role, 3, 0
from science as s
join l2_group_members as n on n.group_id = s.group_id and not n.is_science;

{% else %}
-- Unfinalized (--no-finalize), a group stays one association, as the pass left it.
insert into l2_members
select m.rule, m.asn_type, m.rule_rank, m.scope_id, m.scope_id || '/' || m.rule || '/group/' || m.founder_row || '/' || m.founder_row,
       m.founder_row, 0, min(m.row_no) filter (where m.is_science) over (partition by m.group_id),
       m.row_no, case when m.is_science then 'science' else m.role end,
       case when m.row_no >= m.founder_row then 1 else 2 end, 0
from l2_group_members as m;

{% endif %}
{% endif %}
-- Associations that held a member with an error before imprint pruning and the
-- WFSS catalogs removed members.
create or replace temp table l2_degraded as
select distinct m.association
from l2_members as m
join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
where {{ x.is_set_text('e.exposerr') }}
union
{%- if with_groups %}
-- (the keys above: a group's scope, rule and founding row, then the science row)
select m.scope_id || '/' || m.rule || '/group/' || m.founder_row || '/' || {{ 'm.row_no' if finalize else 'm.founder_row' }}
from l2_group_members as m
join l2_group_degraded using (group_id)
where m.is_science
{%- else %}
select null::varchar where false
{%- endif %};

{% if finalize and with_imprints %}
-- Imprint pruning of single-science associations (Asn_Lv2Spec, Asn_Lv2SpecSpecial);
-- jwst does not prune the splits of a group again.
{{ l2.prune_imprints('l2_members', 'association', rules | rejectattr('shape', 'equalto', 'group') | list) }}
{% endif %}

-- ---- Finish: validity, WFSS catalogs, names ----

-- Candidates: an observation, or a background candidate holding a background
-- (unfinalized, jwst keeps the others and only does not write them).
create or replace temp table l2_invalid as
select association from l2_members where false;
{% if finalize %}delete from l2_members as m{% else %}insert into l2_invalid select distinct m.association from l2_members as m{% endif %}
where m.association in (
    select a.association
    from l2_members as a
    join scopes as s using (scope_id)
    where a.rule not in ({% for rule in rules if rule.any_candidate %}'{{ rule.name }}', {% endfor %}'')
    group by a.association, s.ctype
    having not (s.ctype = 'observation'
                or s.ctype = 'background' and bool_or(a.role = 'background'))
        -- a replayed association may have no science (the other shapes start from one)
        or any_value(a.rule) in ({% for rule in rules if rule.shape == 'replayed' %}'{{ rule.name }}', {% endfor %}'')
           and not bool_or(a.role = 'science')
);

-- The time-series flag an association locks (BASE's optional tsovisit) comes
-- from any member, direct images included, so it is read before WFSS drops them.
create or replace temp table l2_time_series as
select m.association, bool_or(e.tsovisit = 't') as association_tso
from l2_members as m
join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
group by m.association;

{% if finalize and with_wfss %}
-- WFSS: the direct images give way to the catalogs of the one chosen.
{{ l2.wfss_catalogs('l2_members', rules) }}
{% endif %}

create or replace temp table l2_named as
with members as (
    select
        m.*,
        row_number() over (partition by m.association order by m.phase, m.requeue_row, m.row_no)::integer as position,
        t.association_tso
    from l2_members as m
    join l2_time_series as t using (association)
)
select
    m.*,
    case when m.rule in ({% for rule in rules if not rule.coron_counts %}'{{ rule.name }}', {% endfor %}'')
        then {{ x.expname('e', "'rate' || case when " ~ l2.is_integrations('e', 'm.association_tso', false) ~ " then 'ints' else '' end") }}
        else {{ x.expname('e', "'rate' || case when " ~ l2.is_integrations('e', 'm.association_tso', true) ~ " then 'ints' else '' end") }}
    end as expname,
    e.exposerr,
    founder.raw_targetid as founder_targetid
from members as m
join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
-- jwst takes the target from the row that created the association (a nod
-- group's first row, which a split need not hold)
join scope_exposures as founder on founder.scope_id = m.scope_id and founder.row_no = m.seed_row;

{% if not finalize and with_science %}
-- Unfinalized, jwst also numbers (but does not write) the associations a
-- non-science row founded when it could join none and no science took: one per
-- such row that no earlier row of its rule it agrees with founded before.
create or replace temp table l2_lone as
select b.rule, b.asn_type, b.rule_rank, b.scope_id, b.row_no, b.role
from l2_eligible as b
where not b.is_science and b.shape = 'science' and b.founds
  and not exists (
      select 1 from l2_members as m
      where m.rule = b.rule and m.scope_id = b.scope_id and m.row_no = b.row_no
        and m.row_no >= m.seed_row)
  and not exists (
      select 1 from l2_eligible as c
      join l2_row_locks as cl on cl.rule = c.rule and cl.scope_id = c.scope_id and cl.row_no = c.row_no
      join scope_exposures as ce on ce.scope_id = c.scope_id and ce.row_no = c.row_no
      join scope_exposures as be on be.scope_id = b.scope_id and be.row_no = b.row_no
      where c.rule = b.rule and c.scope_id = b.scope_id and not c.is_science and c.founds
        and c.row_no < b.row_no and {{ compatible_under_locks('c', 'b', 'cl', 'ce', 'be') }});

insert into rule_matches by name
select 2 as level, b.rule, b.asn_type, b.rule_rank, b.scope_id,
       b.scope_id || '/' || b.rule || '/lone/' || b.row_no as group_key,
       b.row_no as seed_row, 'undefined' as product_name, e.targetid as target, 1 as position,
       b.row_no, {{ x.expname('e', "'rate'") }} as expname, b.role as exptype, e.exposerr,
       false as valid
from l2_lone as b
join scope_exposures as e on e.scope_id = b.scope_id and e.row_no = b.row_no;
{% endif %}

-- The product is named for its science exposure; the target is the founder's.
insert into rule_matches by name
select
    2                                   as level,
    m.rule,
    m.asn_type,
    m.rule_rank,
    m.scope_id,
    m.association                       as group_key,
    m.seed_row,
    m.split_index,
    -- an association without science (never written) is named as jwst names it
    coalesce({{ x.file_root('a.science_expname') }}, 'undefined') as product_name,
    a.target,
    m.position,
    m.row_no,
    m.expname,
    m.role                              as exptype,
    m.exposerr,
    m.association in (select association from l2_degraded) as degraded,
    m.association not in (select association from l2_invalid) as valid
from l2_named as m
join (
    select
        association,
        arg_min(expname, position) filter (where role = 'science') as science_expname,
        any_value(founder_targetid)                                as target
    from l2_named
    group by association
) as a using (association);

{% if finalize and with_wfss %}
{{ l2.insert_wfss_catalogs() }}
{% endif %}
