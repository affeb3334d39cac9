-- Why: `asnsql explain` reads why each rule did or did not take each exposure from what the run stored, instead of running the rules again.

-- The rules of a run in the order they ran, with their constraints in words.
create table explain_rules (
    run_id      integer not null,
    level       integer not null,
    rule        varchar not null,
    rule_no     integer not null,     -- the rule's place in the run's order of rules
    rule_rank   integer not null,
    any_candidate boolean not null,   -- a Level 2 rule whose associations any candidate keeps
    constraints varchar not null,
    primary key (run_id, rule)
);

-- Each rule's filter conditions, in words: (select_no, condition_no) numbers the
-- conditions of each SELECT of the rule over scope_exposures, as written.
create table explain_conditions (
    run_id       integer not null,
    rule         varchar not null,
    select_no    integer not null,
    condition_no integer not null,
    words        varchar not null,
    columns      varchar[] not null,   -- the pool columns the condition reads
    primary key (run_id, rule, select_no, condition_no)
);

-- Per exposure, rule and scope (candidate acid and type) of a run: the role the rule
-- could give the exposure there and, when that association was dropped, why; or
-- the first condition of the rule the exposure fails there (select_no, condition_no).
create table explain_verdicts (
    run_id       integer not null,
    row_no       integer not null,
    rule         varchar not null,
    acid         varchar not null,
    ctype        varchar not null,
    role         varchar,
    fate         varchar,
    select_no    integer,
    condition_no integer
);
