"""Territory boundaries shipped with LabLens (data/geo/): the loader the maps use (``shipped``) and the
script that builds the files from the official geometry (``build``)."""
