"""A local replica of the CDC certifiers' deposit portal (`accrochage sandbox`)."""
