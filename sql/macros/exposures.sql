{#- Expressions over one exposure row, shared by every rule: what counts as
    set, what kind of exposure it is, and its generic member role. Each macro
    takes a table alias and returns an SQL expression. -#}

{#- Whether a value is set. In scope_exposures jwst's empty values (dms_base._EMPTY)
    already read as NULL, as does a column the pool lacks. -#}
{% macro is_set(column) -%}
({{ column }} is not null)
{%- endmacro %}

{#- Whether a value kept as text (exposerr) is set: not one of jwst's empty values. -#}
{% macro is_set_text(column) -%}
({{ column }} is not null and {{ column }} not in ('', 'null', '--', 'n', 'f', 'false', 'n/a'))
{%- endmacro %}

{%- set acquisitions = ['mir_tacq', 'mir_taconfirm', 'nis_taconfirm', 'nis_tacq', 'nrc_taconfirm',
    'nrc_tacq', 'nrs_confirm', 'nrs_msata', 'nrs_taconfirm', 'nrs_tacq', 'nrs_taslit', 'nrs_wata'] %}

{#- A literal SQL list of author's constants: ('a', 'b'). -#}
{% macro in_list(values) -%}
({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#- Target acquisition exposure types (dms_base ACQ_EXP_TYPES without nrs_verify). -#}
{% macro is_acquisition_type(x) -%}
({{ x }}.exp_type in {{ in_list(acquisitions) }})
{%- endmacro %}

{#- Acquisition types including nrs_verify (dms_base ACQ_EXP_TYPES). -#}
{% macro is_acq_or_verify_type(x) -%}
({{ x }}.exp_type in {{ in_list(acquisitions + ['nrs_verify']) }})
{%- endmacro %}

{#- jwst's get_exposure_type: the member role an exposure has before any rule overrides it. -#}
{% macro dms_role(x) -%}
case
    when {{ is_set(x ~ '.pntgtype') }} and {{ x }}.pntgtype <> 'science' then {{ x }}.pntgtype
    when {{ is_acquisition_type(x) }} then 'target_acquisition'
    when {{ x }}.exp_type = 'nrs_autoflat' then 'autoflat'
    when {{ x }}.exp_type = 'nrs_autowave' then 'autowave'
    when {{ x }}.exp_type in {{ in_list(['mir_darkall', 'mir_darkimg', 'mir_darkmrs', 'nis_dark',
        'nrc_dark', 'nrs_dark']) }} then 'dark'
    when {{ x }}.exp_type in {{ in_list(['mir_flatimage', 'mir_flatmrs', 'mir_flatimage-ext',
        'mir_flatmrs-ext', 'nrc_flat']) }} then 'flat'
    when {{ x }}.exp_type in {{ in_list(['nis_focus', 'nis_lamp', 'nrc_focus', 'nrc_led', 'nrs_focus',
        'nrs_image', 'nrs_lamp']) }} then 'engineering'
    when {{ is_set(x ~ '.is_psf') }} then 'psf'
    when {{ is_set(x ~ '.is_imprt') }} then 'imprint'
    when {{ is_set(x ~ '.bkgdtarg') }} then 'background'
    else 'science'
end
{%- endmacro %}

{#- Time series: a science pointing in a TSO visit, or an always-TSO exposure type. -#}
{% macro is_tso(x) -%}
({{ x }}.pntgtype = 'science' and ({{ x }}.tsovisit = 't'
    or {{ x }}.exp_type in ('nrc_tsimage', 'nrc_tsgrism', 'nrs_brightobj')))
{%- endmacro %}

{#- The file name with _uncal.<ext> replaced by _<suffix>.<ext>; other names are kept. -#}
{% macro expname(x, suffix) -%}
regexp_replace({{ x }}.filename, '^(.+)_uncal(\..+)$', '\1_' || ({{ suffix }}) || '\2')
{%- endmacro %}

{#- Left-pad with zeros to `width`, keeping longer values whole (program 632 -> 00632). -#}
{% macro zero_pad(value, width) -%}
(case when length({{ value }}) >= {{ width }} then {{ value }}
      else lpad({{ value }}, {{ width }}, '0') end)
{%- endmacro %}

{#- jwst puts product-name tokens through re.escape; real values are untouched. -#}
{% macro escaped(value) -%}
regexp_replace({{ value }}, '([()\[\]{}?*+\-|^$\\.&~# \t\n\r\x0b\x0c])', '\\\1', 'g')
{%- endmacro %}

{#- The calibration suffixes jwst recognises at the end of a file name
    (jwst.lib.suffix.KNOW_SUFFIXES of 3.0.0). -#}
{%- set known_suffixes = [
    'adaptive_trace_model', 'adaptivetracemodelstep', 'align_refs', 'alignrefsstep', 'ami',
    'ami-oi', 'ami3pipeline', 'ami_analyze', 'ami_normalize', 'amianalyzestep', 'aminorm',
    'aminorm-oi', 'aminormalizestep', 'assign_mtwcs', 'assign_wcs', 'assignmtwcsstep',
    'assignwcsstep', 'backgroundstep', 'badpixselfcalstep', 'barshadowstep', 'bkg_subtract',
    'blot', 'bsub', 'bsubints', 'c1d', 'cal', 'calints', 'cat', 'chargemigrationstep',
    'clean_flicker_noise', 'cleanflickernoisestep', 'combine1dstep', 'combine_1d',
    'coron3pipeline', 'crf', 'crfints', 'cube_build', 'cubebuildstep', 'dark', 'dark_current',
    'darkcurrentstep', 'darkpipeline', 'detector1pipeline', 'dq_init', 'dqinitstep', 'emicorr',
    'emicorrstep', 'engdblog', 'extract1dstep', 'extract2dstep', 'extract_1d', 'extract_2d',
    'firstframe', 'firstframestep', 'flat_field', 'flatfieldstep', 'fringe', 'fringestep',
    'gain_scale', 'gainscalestep', 'group_scale', 'groupscalestep', 'guider_cds',
    'guidercdsstep', 'guiderpipeline', 'hlsp', 'hlspstep', 'i2d', 'image2pipeline',
    'image3pipeline', 'imprint', 'imprintstep', 'ipc', 'ipcstep', 'jump', 'jumpstep', 'klip',
    'klipstep', 'lastframe', 'lastframestep', 'linearity', 'linearitystep', 'master_background',
    'masterbackgroundmosstep', 'masterbackgroundstep', 'mbsub', 'median', 'msaflagopenstep',
    'outlier_detection', 'outlierdetectionstep', 'pathloss', 'pathlossstep', 'persistence',
    'persistencestep', 'phot', 'photom', 'photomstep', 'picture_frame', 'pictureframestep',
    'pixelreplacestep', 'psfalign', 'psfstack', 'psfsub', 'ramp', 'ramp_fit', 'rampfitstep',
    'rate', 'rateints', 'refpix', 'refpixstep', 'resample', 'resample_spec', 'resamplespecstep',
    'resamplestep', 'reset', 'resetstep', 'residual_fringe', 'residualfringestep', 'rscd',
    'rscdstep', 's2d', 's3d', 'saturation', 'saturationstep', 'skymatch', 'skymatchstep', 'snr',
    'source_catalog', 'sourcecatalogstep', 'sourcetypestep', 'spec2nrslamp', 'spec2pipeline',
    'spec3pipeline', 'spectral_leak', 'spectralleakstep', 'srctype', 'stackrefs',
    'stackrefsstep', 'straylight', 'straylightstep', 'superbias', 'superbiasstep',
    'targ_centroid', 'targcentroidstep', 'tso3pipeline', 'tsophotometrystep', 'tweakreg',
    'tweakregstep', 'uncal', 'wavecorrstep', 'wfscmb', 'wfscombine', 'wfscombinestep',
    'wfsscontamstep', 'white_light', 'whitelightstep', 'whtlt', 'x1d', 'x1dints'] %}

{#- A file's root as jwst's remove_suffix gives it: without its last extension
    and one known suffix after '_' or '-' (jw_00001_rate.fits -> jw_00001). -#}
{% macro file_root(expname) -%}
regexp_extract(
    regexp_replace({{ expname }}, '\.[^./]*$', ''),
    '^(.+?)(?:[_-](?:{{ known_suffixes | join('|') }}))?$',
    1)
{%- endmacro %}

{#- ---- Light paths (dms_base's tables): shared by both levels ---- -#}

{#- NIRSpec fixed slit: the slit, grating, filter and detector form a valid light path. -#}
{% macro nrs_fs_valid(e) -%}
({{ e }}.fxd_slit is not null and {{ e }}.grating is not null and {{ e }}.filter is not null
 and {{ e }}.detector is not null and (
    case when {{ e }}.fxd_slit = 's200b1' then
        ({{ e }}.grating, {{ e }}.filter) in (('prism', 'clear'), ('g395h', 'f290lp'),
            ('g235h', 'f170lp'), ('g140h', 'f100lp'), ('g395m', 'f290lp'), ('g235m', 'f170lp'),
            ('g140m', 'f100lp')) and {{ e }}.detector = 'nrs2'
        or ({{ e }}.grating, {{ e }}.filter) in (('g140h', 'f070lp'), ('g140m', 'f070lp'))
            and {{ e }}.detector in ('nrs1', 'nrs2')
    else
        ({{ e }}.grating, {{ e }}.filter) in (('prism', 'clear'), ('g140h', 'f070lp'),
            ('g395m', 'f290lp'), ('g235m', 'f170lp'), ('g140m', 'f100lp'), ('g140m', 'f070lp'))
            and {{ e }}.detector = 'nrs1'
        or ({{ e }}.grating, {{ e }}.filter) in (('g395h', 'f290lp'), ('g235h', 'f170lp'),
            ('g140h', 'f100lp')) and {{ e }}.detector in ('nrs1', 'nrs2')
    end))
{%- endmacro %}

{#- NIRSpec IFU: a valid light path for nrs_ifu exposures (others pass). -#}
{% macro nrs_ifu_valid(e) -%}
({{ e }}.exp_type <> 'nrs_ifu' or ({{ e }}.grating is not null and {{ e }}.filter is not null
 and {{ e }}.detector is not null and (
    ({{ e }}.grating, {{ e }}.filter) in (('prism', 'clear'), ('g140m', 'f070lp'),
        ('g140m', 'f100lp'), ('g235m', 'f170lp'), ('g395m', 'f290lp'), ('g140h', 'f070lp'))
        and {{ e }}.detector = 'nrs1'
    or ({{ e }}.grating, {{ e }}.filter) in (('g140h', 'f100lp'), ('g235h', 'f170lp'),
        ('g395h', 'f290lp')) and {{ e }}.detector in ('nrs1', 'nrs2'))))
{%- endmacro %}

{#- jwst's is_item_coron (dms_base.py) past its science-pointing test: a
    coronagraphic exposure type, but for NIRCam full-frame exposures on a detector
    the mask leaves unocculted. A blank pupil, detector or subarray is none of the
    values it compares (jwst reads the cell's text), so the exposure stays
    coronagraphic. -#}
{% macro is_coron_type(e) -%}
({{ e }}.exp_type in ('mir_4qpm', 'mir_lyot', 'nrc_coron') and not coalesce(
    {{ e }}.exp_type = 'nrc_coron' and {{ e }}.subarray = 'full'
    and ({{ e }}.pupil = 'maskbar' and {{ e }}.detector in ('nrca1', 'nrca2', 'nrca3')
         or {{ e }}.pupil = 'maskrnd' and {{ e }}.detector in ('nrca1', 'nrca3', 'nrca4')), false))
{%- endmacro %}

{#- NIRCam coronagraphy: full-frame exposures only off the occulted detectors. -#}
{% macro nrc_coron_valid(e) -%}
({{ e }}.detector is not null and {{ e }}.subarray is not null and {{ e }}.pupil is not null
 and ({{ e }}.subarray <> 'full'
      or not ({{ e }}.pupil = 'maskbar' and {{ e }}.detector in ('nrca1', 'nrca2', 'nrca3')
              or {{ e }}.pupil = 'maskrnd' and {{ e }}.detector in ('nrca1', 'nrca3', 'nrca4'))))
{%- endmacro %}

{#- ---- Shared by both levels' rules and names ---- -#}

{#- jwst's Constraint_Target: in a direct_image candidate (the cell reads
    [('cNNNN', 'direct_image')]) every exposure has target 000. Computed once
    per exposure in scope_exposures (sql/engine/scopes.sql). -#}
{% macro compute_in_direct_image(e) -%}
coalesce(regexp_full_match({{ e }}.asn_candidate, '\[\(''c\d{4}'', ''direct_image''\)\]'), false)
{%- endmacro %}

{% macro in_direct_image_candidate(e) -%}
{{ e }}.in_direct_image
{%- endmacro %}

{#- The optical elements: the set values, sorted, joined by '-'; 'clear' when none. -#}
{% macro opt_elem(values) -%}
coalesce(nullif(array_to_string(list_sort(list_filter(
    [{% for v in values %}nullif({{ v }}, ''){% if not loop.last %}, {% endif %}{% endfor %}],
    lambda v: v is not null)), '-'), ''), 'clear')
{%- endmacro %}
