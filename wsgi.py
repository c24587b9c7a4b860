from app import create_app
from app.core.heap import freeze_startup_objects

app = create_app()
freeze_startup_objects()  # the full collections stop walking start-up's objects (app/core/heap.py)
