"""patron-broken: plugins that fail in one documented way each (see each module)."""
