"""The Streamlit page's parts (imported by ``app.py``): thin rendering over ``formcoach``."""
