"""The staff home page: what a coordinator, coach or school user sees after login."""
