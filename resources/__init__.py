"""Small files shipped with the workbench (style, icons, default settings)."""
