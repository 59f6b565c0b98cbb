"""motcua — SMS notifications and status lookup for one-stop (Một cửa) administrative dossiers."""
