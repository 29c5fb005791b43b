"""Write the kit: one XLSForm workbook per form, a Spanish README for field teams, and the kit as a ZIP.

Sheets and columns follow the XLSForm specification (https://xlsform.org/en/): ``survey`` (type, name,
``label::Español (es)``, ``label::English (en)``, hints, required, constraint and its message, relevant,
calculation, appearance), ``choices`` (list_name, name, labels) and ``settings`` (form_id, form_title,
version, default_language). Workbooks are written by :func:`analysis.safe_export.xlsx_bytes`: text stays
text (never a formula) and the bytes are the same for the same forms (fixed document and ZIP times).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.forms.definitions import DEFAULT_LANGUAGE, LANGUAGES, FormDef, all_forms
from analysis.safe_export import xlsx_bytes, zip_bytes

SURVEY_COLUMNS = ("type", "name", *(f"label::{lang}" for _, lang in LANGUAGES),
                  *(f"hint::{lang}" for _, lang in LANGUAGES), "required", "constraint",
                  *(f"constraint_message::{lang}" for _, lang in LANGUAGES), "relevant", "calculation",
                  "appearance")
CHOICE_COLUMNS = ("list_name", "name", *(f"label::{lang}" for _, lang in LANGUAGES))
SETTINGS_COLUMNS = ("form_id", "form_title", "version", "default_language")


def _text(value: str) -> str | None:
    return value or None


def sheets(form: FormDef) -> dict[str, pd.DataFrame]:
    """The form's ``survey``, ``choices`` and ``settings`` sheets as frames (empty cells are None)."""
    survey = []
    for f in form.fields:
        closing = f.type in ("end_group", "end_repeat")
        survey.append({
            "type": f.type, "name": None if closing else f.name,
            "label::Español (es)": _text(f.label_es), "label::English (en)": _text(f.label_en),
            "hint::Español (es)": _text(f.hint_es), "hint::English (en)": _text(f.hint_en),
            "required": "yes" if f.required else None, "constraint": _text(f.constraint),
            "constraint_message::Español (es)": _text(f.message_es),
            "constraint_message::English (en)": _text(f.message_en),
            "relevant": _text(f.relevant), "calculation": _text(f.calculation), "appearance": _text(f.appearance),
        })
    choices = [{"list_name": c.list_name, "name": c.name, "label::Español (es)": c.label_es,
                "label::English (en)": c.label_en} for c in form.choices]
    settings = [{"form_id": form.form_id, "form_title": form.title_es, "version": form.version,
                 "default_language": DEFAULT_LANGUAGE}]
    return {"survey": pd.DataFrame(survey, columns=list(SURVEY_COLUMNS), dtype=object),
            "choices": pd.DataFrame(choices, columns=list(CHOICE_COLUMNS), dtype=object),
            "settings": pd.DataFrame(settings, columns=list(SETTINGS_COLUMNS), dtype=object)}


def workbook_bytes(form: FormDef) -> bytes:
    """The form as an XLSX workbook, identical bytes for identical definitions."""
    return xlsx_bytes(sheets(form))


def file_name(form: FormDef) -> str:
    """'lablens_students_2026120601.xlsx': the server shows this name, the version is in it."""
    return f"{form.form_id}_{form.version}.xlsx"


def readme_es(forms: tuple[FormDef, ...] | None = None) -> str:
    """The field teams' guide, in Spanish (Markdown)."""
    forms = forms or all_forms()
    listing = "\n".join(f"- `{file_name(f)}` — {f.title_es.split(' · ', 1)[-1]} (versión {f.version})"
                        for f in forms)
    return f"""# Kit de recolección de datos de LabLens

Formularios XLSForm para recoger datos **sin conexión** en un teléfono o tableta con ODK Collect o
KoboCollect, y devolverlos a LabLens tal como los exporta el servidor. Los nombres de las preguntas son
los códigos que LabLens espera: no cambie los nombres ni las opciones, solo puede mejorar las etiquetas.

{listing}

## 1. Cargar los formularios en el servidor

**ODK Central**: Proyecto → *Nuevo* formulario → suba el archivo `.xlsx` → *Publicar borrador*. Cree
usuarios de aplicación (*App Users*), deles acceso al formulario y configure cada teléfono con el código
QR del usuario.

**KoboToolbox**: *Nuevo* → *Cargar un XLSForm* → elija el archivo `.xlsx` → *Implementar* (*Deploy*).
En KoboCollect, configure el servidor (`https://kc.kobotoolbox.org` o el de su organización) con su
usuario.

## 2. Recoger sin conexión

En ODK Collect o KoboCollect: *Descargar formulario* con señal (una vez), luego *Llenar formulario* sin
conexión. Guarde cada formulario como **finalizado**. Al volver a tener señal: *Enviar formulario
finalizado*. Los formularios validan los códigos de establecimiento (Guatemala `DD-MM-NNNN-NN`,
Colombia 12 dígitos DANE), los rangos (escala de 1 a 5, horas de 0 o más) y las preguntas obligatorias.

**Privacidad**: escriba siempre el **código** del estudiante o del docente, **nunca su nombre**. No
escriba nombres de personas en las observaciones. LabLens reemplaza los códigos por seudónimos y
descarta el nombre y el identificador de quien envió el formulario.

## 3. Exportar

**ODK Central**: formulario → *Envíos* → *Descargar* → *Todos los datos (CSV en .zip)*. Sin dividir
las selecciones múltiples. Importe el `.zip` tal cual, o sus archivos `.csv` juntos (el principal y el
de la repetición `participants` del registro de formación).

**KoboToolbox**: *Datos* → *Descargas* → tipo **XLS** (o CSV) con **«Valores y encabezados XML»**
(*XML values and headers*), *Incluir grupos en los encabezados* activado, separador de grupos `/`.
LabLens también entiende las etiquetas en español o inglés, pero los valores XML son más seguros.

## 4. Importar en LabLens

Página **Datos** → *Importar* (rol de administrador en instalaciones públicas), o en la línea de
comandos:

```
python -m analysis import EXPORTACION.zip --json
```

LabLens reconoce el formulario y su versión por sus propias preguntas (`lablens_form`,
`lablens_version`), sin configuración. Un mismo envío recibido dos veces se guarda una sola vez
(`duplicates_skipped`); una versión de formulario que LabLens no conoce se rechaza con la versión
encontrada y las conocidas.

## 5. Seguir el avance

Revise en LabLens qué escuelas ya enviaron bitácoras, formaciones y listas de gobernanza, y repita la
exportación y la importación cuando lleguen nuevos envíos: lo ya importado no se duplica.
"""


def kit_entries(forms: tuple[FormDef, ...] | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every file of the kit: the workbooks, then LEEME.md."""
    forms = forms or all_forms()
    return [*((file_name(f), workbook_bytes(f)) for f in forms), ("LEEME.md", readme_es(forms).encode("utf-8"))]


def kit_zip() -> bytes:
    """The whole kit as one ZIP (for a download button); identical bytes for identical forms."""
    return zip_bytes(kit_entries())


def write_kit(out: str | Path) -> list[Path]:
    """Write the kit into folder ``out`` (created if needed); a path ending in .zip gets the ZIP."""
    out = Path(out)
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(kit_zip())
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in kit_entries():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written
