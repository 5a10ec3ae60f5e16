"""Life data of the loaded fleet, as a reliability engineer reads it: the Data dock's views.

``data_views`` computes, off the GUI thread, what the views show (the sensors'
health-indicator scores, the Weibull fit of the training units' lives with
suspensions); ``sensor_table`` is the sortable table of monotonicity,
trendability and prognosability; ``weibull_plot`` the probability plot with its
fit and B10 life. May import ``common`` and ``plotting`` only; the ``data``
feature (the Data dock) shows these views.
"""
