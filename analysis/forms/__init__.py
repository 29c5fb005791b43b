"""Field data collection: the XLSForm kit generated from the catalogue, and the reader of its exports.

`definitions` holds the four forms as data; `xlsform` writes them (and the kit ZIP); `odk` reads what
ODK Central and KoboToolbox export back into frames ready for the importer; `cli` is
`python -m analysis forms`.
"""
