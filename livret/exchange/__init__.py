"""Import and export of files (SIECLE, CSV/XLSX, référentiel). No Qt."""
