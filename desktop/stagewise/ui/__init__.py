"""The Qt desktop app: the only package that imports PySide6.

``app.main()`` builds paths, logging and crash handling and starts locked.  ``main_window.MainWindow`` owns
the session state (``context.AppContext``), the ``lock.LockManager`` and every window that shows client
data.  Core calls run one transaction per user action; slow ones go through ``workers.OpRunner``.
Domain enums become words only in ``labels``.
"""
