"""Métodos: every method, formula and threshold behind the numbers, with its source (docs/METHODS.md)."""

import streamlit as st

from ui import methods_view as view
from ui.i18n import t
from ui.layout import page_header

page_header("page.methods", "methods.intro")

FORMULAS = {
    "designs": [r"y_{it} = a + b\,\mathrm{@treated@}_i + c\,\mathrm{@post@}_t + d\,(\mathrm{@treated@}_i \times "
                r"\mathrm{@post@}_t) + \varepsilon_{it}"],
    "effects": [r"g = \omega\,\frac{\bar{y}_1 - \bar{y}_2}{s_p}, \qquad \omega = 1 - \frac{3}{4N - 9}",
                r"\mathrm{Var}(g) \approx \frac{2(1-r)}{n} + \frac{g^2}{2n}",
                r"\mathrm{DE} = 1 + (m-1)\rho",
                r"\mathrm{Cox} = \frac{\ln(\mathrm{OR})}{1{,}65}",
                r"\mathrm{II} = 100\,\Phi(g) - 50",
                r"t_A = t\sqrt{\frac{(N-2) - 2(m-1)\rho}{(N-2)\,[1 + (m-1)\rho]}}"],
    "rates": [r"\frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}"
              r"{1 + \frac{z^2}{n}}"],
    "scales": [r"\alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_T^2}\right)",
               r"\left[1 - (1-\hat\alpha)\,F_{0{,}975}(n-1,(n-1)(k-1)),\; "
               r"1 - (1-\hat\alpha)\,F_{0{,}025}(n-1,(n-1)(k-1))\right]"],
    "multiple": [r"q_{(i)} = \min_{j \ge i} \frac{m\,p_{(j)}}{j}"],
    "dose": [r"\Delta y_s = a + b\,\mathrm{@dose@}_s + e_s, \qquad "
             r"\widehat{V}_{HC2} = (X'X)^{-1} X' \mathrm{diag}\!\left(\frac{\hat e_s^2}{1-h_{ss}}\right) X (X'X)^{-1}"],
    "cost": [r"C = \frac{L\,(I + F)/3 + L\,R}{N}, \qquad \frac{C}{g/0{,}1} \in "
             r"\left[\frac{C}{10\,g_{\mathrm{@high@}}},\; \frac{C}{10\,g_{\mathrm{@low@}}}\right]"],
    "pooling": [r"\hat\theta_i = \hat B_i\,\hat\mu + (1 - \hat B_i)\,y_i, \qquad "
                r"\hat B_i = \frac{k-3}{k-1}\,\frac{V_i}{V_i + \hat A}, \qquad "
                r"\hat\mu = \frac{\sum_i y_i/(V_i + \hat A)}{\sum_i 1/(V_i + \hat A)}",
                r"\hat A = \max\Big(0,\; A : \sum_i \frac{(y_i - \hat\mu_A)^2}{V_i + A} = k - 1\Big)",
                r"v_i = V_i\left(1 - \frac{k-1}{k}\,\hat B_i\right) + \frac{2}{k-3}\,\hat B_i^2\,(y_i - \hat\mu)^2, "
                r"\qquad \hat\theta_i \pm 1{,}96\sqrt{v_i}"],
}

for section in view.SECTIONS:
    st.subheader(t(f"methods.{section}.title"))
    st.markdown(t(f"methods.{section}.body"))
    for formula in FORMULAS.get(section, []):
        st.latex(view.latex(formula))
    if section == "evidence":
        st.caption(t("methods.attrition_table"))
        st.table(view.attrition_table(), hide_index=True)
    if section == "plain":
        st.caption(t("methods.eef_table"))
        st.table(view.eef_table(), hide_index=True)
    if section == "reliability":
        st.table(view.thresholds(), hide_index=True)
