-- rule:      Asn_MIRLRSTAConfirm
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - MIRI LRS (mir_lrs-fixedslit, mir_lrs-slitless), time series allowed
--   - either the same mode (instrument, detector, filter else band, pupil else grating, slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit) and one science exposure, or a background-target LRS exposure (not time series, the background exposure type shared)
--   - or the same obs_id, fixed by the first to come that way, and one science exposure or a MIRI target-acquisition confirmation (mir_taconfirm); the mode keys checked before a failing one stay fixed
--   - an exposure that meets no association founds one, whatever it is; target acquisitions and background targets read before an association was founded are offered to it again
-- members:   science, background, target_acquisition
-- shape:     replayed
{% import 'macros/level2.sql' as l2 -%}

{#- jwst 3.0.0's Asn_MIRLRSTAConfirm (rules_level2b.py) is an alternative of two
    branches whose tests lock values as they pass, and a failing branch keeps
    the locks it made when the other one then holds. Which association an
    exposure ends in depends on what the associations before it locked, so the
    rule replays jwst's pass over the candidate's exposures: the pool in order
    (join every association the row meets; found one when it met none), then
    the background targets jwst re-offers (Constraint_Background), then the
    target acquisitions (Asn_Lv3ACQ_Reprocess). -#}

{#- The state of one association. mode holds MODE's seven locks in jwst's order
    (instrument, detector, filter/band and pupil/grating as "column:value",
    fxd_slit, subarray, channel); NULL is not locked yet. -#}
{%- set association_type = 'struct(founder integer, files varchar[], program varchar, tso varchar, '
    ~ 'mode varchar[], obs_id varchar, has_science boolean, bkg_exp varchar)' %}
{%- set join_type = 'struct(asn integer, row_no integer, role varchar, pass integer)' %}

{#- The row's value for MODE's lock i, read from the column the lock names. -#}
{% macro mode_value(a, r, i) -%}
{%- if i == 3 -%}
(case when {{ a }}.mode[3] like 'filter:%' then 'filter:' || {{ r }}.filter
      when {{ a }}.mode[3] like 'band:%' then 'band:' || {{ r }}.band
      else coalesce('filter:' || {{ r }}.filter, 'band:' || {{ r }}.band) end)
{%- elif i == 4 -%}
(case when {{ a }}.mode[4] like 'pupil:%' then 'pupil:' || {{ r }}.pupil
      when {{ a }}.mode[4] like 'grating:%' then 'grating:' || {{ r }}.grating
      else coalesce('pupil:' || {{ r }}.pupil, 'grating:' || {{ r }}.grating) end)
{%- else -%}
{{ r }}.{{ ['instrume', 'detector', '', '', 'fxd_slit', 'subarray', 'channel'][i - 1] }}
{%- endif -%}
{%- endmacro %}

{#- The row's values for MODE's seven locks, as association a reads them. -#}
{% macro mode_values(a, r) -%}
[{% for i in range(1, 8) %}{{ mode_value(a, r, i) }}{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{#- What offering row r to association a finds, before deciding: whether a
    holds r's file, BASE, how many of MODE's locks r passes in a row (`values`,
    its mode_values: a lock passes where the row leaves it unset, but the first
    three, which are required, or where a leaves it unlocked or holds the row's
    value), and the three tests of the two branches. -#}
{% macro offer(a, r, values) -%}
{
    'a': {{ a }},
    'held': list_contains({{ a }}.files, {{ r }}.filename),
    'base': ({{ a }}.program is null or {{ a }}.program = {{ r }}.program)
        and ({{ r }}.tsovisit is null or {{ a }}.tso is null or {{ a }}.tso = {{ r }}.tsovisit),
    'reach': coalesce(list_position(list_transform(list_zip({{ a }}.mode, {{ values }}),
        lambda mv, i: case when mv[2] is null then i > 3 else mv[1] is null or mv[1] = mv[2] end),
        false) - 1, 7),
    'values': {{ values }},
    'sci': {{ r }}.role = 'science' and not {{ a }}.has_science and {{ r }}.is_lrs,
    'bkg': {{ r }}.is_background and ({{ a }}.bkg_exp is null or {{ a }}.bkg_exp = {{ r }}.exp_type),
    'ta': {{ r }}.obs_id is not null and ({{ a }}.obs_id is null or {{ a }}.obs_id = {{ r }}.obs_id)
}
{%- endmacro %}

{#- The outcome of an offer o: ok, the branch (sci, bkg, ta) and the
    association as it is after r joins (its locks kept when r joins). -#}
{% macro outcome(o, r, founder) -%}
{
    'ok': not {{ o }}.held and {{ o }}.base and (
        {{ o }}.reach = 7 and {{ r }}.mode_tests_ok and ({{ o }}.sci or {{ o }}.bkg)
        or {{ o }}.ta and ({{ o }}.sci or {{ r }}.exp_type = 'mir_taconfirm')),
    'held': {{ o }}.held,
    'via': case when {{ o }}.reach = 7 and {{ r }}.mode_tests_ok and ({{ o }}.sci or {{ o }}.bkg)
                then case when {{ o }}.sci then 'sci' else 'bkg' end
                else 'ta' end,
    'asn': {
        'founder': {{ founder }},
        'files': list_append({{ o }}.a.files, {{ r }}.filename),
        'program': {{ r }}.program,
        'tso': coalesce({{ o }}.a.tso, {{ r }}.tsovisit),
        'mode': [{% for i in range(1, 8) %}case when {{ o }}.reach >= {{ i }} then coalesce({{ o }}.a.mode[{{ i }}], {{ o }}.values[{{ i }}]) else {{ o }}.a.mode[{{ i }}] end{% if not loop.last %}, {% endif %}{% endfor %}],
        'obs_id': case when {{ o }}.reach = 7 and {{ r }}.mode_tests_ok and ({{ o }}.sci or {{ o }}.bkg)
                       then {{ o }}.a.obs_id else coalesce({{ o }}.a.obs_id, {{ r }}.obs_id) end,
        'has_science': {{ o }}.a.has_science or {{ r }}.role = 'science',
        'bkg_exp': case when {{ o }}.reach = 7 and {{ r }}.mode_tests_ok and not {{ o }}.sci and {{ o }}.bkg
                        then coalesce({{ o }}.a.bkg_exp, {{ r }}.exp_type) else {{ o }}.a.bkg_exp end
    }::{{ association_type }}
}
{%- endmacro %}

with recursive
-- the exposures a branch can take (LRS or a TA confirmation, program set),
-- with what the tests read
offered as (
    select
        e.scope_id, e.row_no, e.filename, e.program, e.tsovisit, e.instrume, e.detector,
        e.filter, e.band, e.pupil, e.grating, e.fxd_slit, e.subarray, e.channel, e.exp_type,
        e.obs_id,
        {{ l2.role('e') }} as role,
        e.exp_type in ('mir_lrs-fixedslit', 'mir_lrs-slitless') as is_lrs,
        e.bkgdtarg is not null and not {{ l2.is_tso('e') }}
            and e.exp_type in ('mir_lrs-fixedslit', 'mir_lrs-slitless') as is_background,
        -- MODE's tests after its locks (an opaque filter, a wavefront-sensing visit)
        not (e.detector is not distinct from 'nirspec' or e.filter is not distinct from 'opaque')
            and not (e.detector is not distinct from 'nrcblong' and e.exp_type = 'nrc_tsgrism')
            and not {{ l2.is_wfsc_visit('e') }} as mode_tests_ok
    from scope_exposures as e
    where {{ l2.base_ok('e') }}
      and e.exp_type in ('mir_lrs-fixedslit', 'mir_lrs-slitless', 'mir_taconfirm')
),
-- An association holds the rows of one program (BASE), so each program of a
-- candidate is replayed apart: the pass grows with a program, not with a
-- candidate spanning the pool (o001, the discovery). Not where a file name
-- comes in two programs of the candidate: a row whose file another program's
-- association holds founds nothing, so that candidate is replayed whole.
parted as (
    select
        o.*,
        case when bool_or(shared) over (partition by scope_id) then '' else program end as part
    from (
        select o.*, min(program) over (partition by scope_id, filename)
                    <> max(program) over (partition by scope_id, filename) as shared
        from offered as o
    ) as o
),
-- jwst's pass: every row (sweep 1), the background targets again (sweep 2,
-- those that joined through the background test), the target acquisitions
-- again (sweep 3)
steps as (
    select o.* exclude (shared), 1 as sweep, row_number() over (partition by scope_id, part order by row_no) as nth
    from parted as o
    union all
    select o.* exclude (shared), 2, row_number() over (partition by scope_id, part order by row_no) from parted as o
    where o.is_background
    union all
    select o.* exclude (shared), 3, row_number() over (partition by scope_id, part order by row_no) from parted as o
    where o.role = 'target_acquisition'
),
-- materialized: the recursive step below reads it once per step, and would
-- otherwise number the steps (three windows over the scope) again each time.
-- What offering a row to a new association gives (fresh) depends on the row
-- alone: worked out here once, not in every step of the pass.
numbered as materialized (
    select r.*, {{ outcome('r.fresh_offer', 'r', 'r.row_no') }} as fresh
    from (
        select r.*, {{ offer('r.empty', 'r', mode_values('r.empty', 'r')) }} as fresh_offer
        from (
            select
                *,
                row_number() over (partition by scope_id, part order by sweep, nth)::integer as step,
                {'founder': null, 'files': [], 'program': null, 'tso': null,
                 'mode': [null, null, null, null, null, null, null], 'obs_id': null,
                 'has_science': false, 'bkg_exp': null}::{{ association_type }} as empty
            from steps
        ) as r
    ) as r
),
-- one state per candidate and part: the associations, every join, and the rows to offer again
pass using key (scope_id, part) as (
    select distinct
        scope_id, part, 0 as step,
        []::{{ association_type }}[] as asns,
        []::{{ join_type }}[] as joins,
        []::integer[] as again
    from parted
    union
    select
        scope_id, part, step,
        case when sweep = 1 and not met and fresh.ok then list_append(updated, fresh.asn)
             else updated end,
        list_concat(
            joins,
            list_filter(list_transform(outcomes, lambda x, i: case when x.ok then
                {'asn': i, 'row_no': r.row_no, 'role': r.role, 'pass': r.sweep}::{{ join_type }} end),
                lambda j: j is not null),
            case when sweep = 1 and not met and fresh.ok then
                [{'asn': len(asns) + 1, 'row_no': row_no, 'role': role, 'pass': 1}::{{ join_type }}]
                else []::{{ join_type }}[] end),
        case when sweep = 1 and (coalesce(list_bool_or(list_transform(outcomes, lambda x: x.ok and x.via = 'bkg')), false)
                                 or not met and fresh.ok and fresh.via = 'bkg')
             then list_append(again, row_no) else again end
    from (
        select
            r.*,
            -- over the associations, not the outcomes: a row not offered again has none
            list_transform(r.asns, lambda a, i: case when r.outcomes[i].ok then r.outcomes[i].asn else a end)
                as updated,
            coalesce(list_bool_or(list_transform(r.outcomes, lambda x: x.ok or x.held)), false) as met
        from (
            select
                r.*,
                list_transform(r.offers, lambda o: {{ outcome('o', 'r', 'o.a.founder') }}) as outcomes
            from (
                select
                    p.asns, p.joins, p.again, r.*,
                    -- a background target is offered again only if it joined through the background test
                    case when r.sweep = 2 and not list_contains(p.again, r.row_no) then []
                         else list_transform(
                             list_transform(p.asns, lambda a: {'a': a, 'values': {{ mode_values('a', 'r') }}}),
                             lambda av: {{ offer('av.a', 'r', 'av.values') }}) end as offers
                from pass as p
                join numbered as r on r.scope_id = p.scope_id and r.part = p.part and r.step = p.step + 1
            ) as r
        ) as r
    ) as r
),
-- every join, with the row that founded its association
joined as (
    select p.scope_id, j.row_no, j.role, j.pass, p.asns[j.asn].founder as seed_row
    from pass as p, unnest(p.joins) as u(j)
)
select
    e.scope_id,
    e.row_no,
    j.role,
    j.role = 'science' as is_science,
    e.program as k_program,
    j.seed_row,
    -- the list jwst offered the row again in
    case j.pass when 2 then 'background' when 3 then 'target_acquisition' end as requeue
from joined as j
join scope_exposures as e on e.scope_id = j.scope_id and e.row_no = j.row_no
