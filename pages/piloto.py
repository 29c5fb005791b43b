"""Diseño del piloto: sampling frame → power → random assignment → pre-analysis plan (issue #17).

Every input that defines the view is in the URL, so a shared link reproduces the page (an uploaded frame
file has to be uploaded again). Nothing here writes to the database: power, previews and downloads are
open to every role.
"""

import streamlit as st

from ui import format as fmt
from ui import pilot_assign as assign_view
from ui import pilot_power as power_view
from ui import pilot_view as view
from ui.export import audited_download_button
from ui.i18n import current_language, number, t
from ui.layout import page_header
from ui.pilot_inputs import amount, choices
from ui.tables import table

page_header("page.pilot", "pilot.intro")

# --- 1. sampling frame ---------------------------------------------------------------------------------------
st.header(t("pilot.step1"))
frame = view.frame_step()

# --- 2. power ------------------------------------------------------------------------------------------------
st.header(t("pilot.step2"))
st.caption(t("pilot.power.intro"))
power_view.observed_box(frame.country if frame else "GT")
design, result = power_view.power_step(len(frame.schools) if frame else None)

# --- 3. random assignment ------------------------------------------------------------------------------------
st.header(t("pilot.step3"))
st.caption(t("pilot.assign.intro"))
registered_notice = st.empty()  # the programme's registered assignment, said before any draw (filled below)
assignment = None
existing = None
if frame is None:
    st.info(t("pilot.assign.no_frame"), icon=":material/info:")
else:
    strata = choices(t("pilot.assign.strata"), assign_view.strata_labels(), key="estratos", default=["department"],
                     placeholder=t("pilot.assign.no_strata"), help_text=t("pilot.assign.strata_help"))
    a, b = st.columns(2)
    treated = amount(a, "pilot.assign.treated", "tratadas", None, 1, max(1, len(frame.schools) - 1), 1,
                     help_key="pilot.assign.treated_help")
    seed = amount(b, "pilot.assign.seed", "semilla", None, 0, 2**32 - 1, 1, help_key="pilot.assign.seed_help")
    a, b, c = st.columns(3)
    program = a.text_input(t("pilot.assign.program"), value="MiLab", key="programa", bind="query-params")
    start_year = amount(b, "pilot.assign.start_year", "anio_inicio", None, 2000, 2100, 1)
    lab_type = c.text_input(t("pilot.assign.lab_type"), value="", key="tipo_lab", bind="query-params")
    existing = assign_view.active_registration(program.strip())
    if existing is not None:
        registered_notice.info(t("pilot.assign.registered_already", id=existing["assignment_id"],
                                 seed=existing["record"].get("seed"), program=fmt.md(program.strip())),
                               icon=":material/lock:")
    st.caption(t("pilot.assign.why_seed"))
    if seed is None:
        st.info(t("pilot.assign.choose_seed"), icon=":material/casino:")
    else:
        opts = assign_view.options(strata, design, treated, int(seed), program.strip(), lab_type.strip(),
                                   start_year, frame.where)
        st.markdown(t("pilot.assign.seed_shown", seed=int(seed), schools=number(len(frame.schools))))
        assignment = assign_view.run(frame, opts)
if assignment is not None:
    record = assignment.record
    cells = st.columns(3)
    cells[0].metric(t("pilot.col.treated"), number(record["treated"]))
    cells[1].metric(t("pilot.col.comparison"), number(record["comparison"]))
    cells[2].metric(t("pilot.assign.strata_count"), number(len(record["strata"])))
    table(assign_view.strata_table(assignment))
    st.markdown(f"**{t('pilot.balance.title')}**")
    st.caption(assign_view.balance_summary(assignment))
    table(assign_view.balance_table(assignment))
    with st.expander(t("pilot.assign.school_list")):
        table(view.school_list(frame.schools, assignment.roster))
    st.caption(t("pilot.assign.roster_sha", sha=record["roster_sha256"]))
    a, b = st.columns(2)
    sealed = {"seed": record["seed"], "roster_sha256": record["roster_sha256"]}
    audited_download_button(t("pilot.assign.roster_download"), assignment.roster_csv, file_name="roster.csv",
                            mime="text/csv", what="pilot_roster", details=sealed, container=a,
                            icon=":material/download:", key="pilot-roster")
    audited_download_button(t("pilot.assign.record_download"), lambda: assign_view.record_json(assignment),
                            file_name="assignment.json", mime="application/json", what="pilot_record",
                            details=sealed, container=b, icon=":material/download:", key="pilot-record")
    if existing is None and assign_view.can_register():  # a registered one is said at the section's top
        st.caption(t("pilot.assign.register_note"))
        if st.button(t("pilot.assign.register"), key="pilot-register", icon=":material/how_to_reg:"):
            ok, message = assign_view.register(assignment)
            (st.success if ok else st.error)(message)
    elif existing is None:
        st.info(t("pilot.assign.register_admin_only"), icon=":material/info:")

# --- 4. pre-analysis plan ------------------------------------------------------------------------------------
st.header(t("pilot.step4"))
st.caption(t("pilot.plan.intro"))
if assignment is None:
    st.info(t("pilot.plan.no_assignment"), icon=":material/info:")
else:
    labels = assign_view.plan_options()
    codes = choices(t("pilot.plan.indicators"), labels, key="indicadores",
                    default=[c for c in ("score_math", "dropout_rate") if c in labels])
    if not codes:
        st.info(t("pilot.plan.choose"), icon=":material/info:")
    else:
        lang = current_language()
        seen = assign_view.observed_values(codes, assignment.record)
        st.caption(t("pilot.plan.values", students=number(design.students), alpha=number(design.alpha, 3).rstrip("0"),
                     power=number(100 * design.power)))
        a, b = st.columns(2)
        for box, kind, mime in ((a, "md", "text/markdown"), (b, "html", "text/html")):
            audited_download_button(
                t(f"pilot.plan.download_{kind}"), file_name=f"plan-{lang}.{kind}", mime=mime, container=box,
                data=lambda kind=kind: assign_view.plan_text(codes, assignment.record, design, seen, kind, lang),
                what="pilot_plan", details={"indicators": list(codes), "seed": assignment.record["seed"]},
                icon=":material/description:", key=f"pilot-plan-{kind}")
