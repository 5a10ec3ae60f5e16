"""The Qt workbench (GUI). Depends on core; core never depends on it."""
