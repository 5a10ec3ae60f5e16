"""The shell: the application, main window (and where it lies on the screen), toolbar,
status bar and settings.

It assembles the features into one window and may import any part of the
workbench; nothing else imports the shell.
"""
