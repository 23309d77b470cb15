"""Pure domain: levels, référentiel, periods, suggestions, marks. No SQLAlchemy, no Qt."""
