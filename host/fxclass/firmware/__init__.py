"""Firmware images: building them with the checkout's Makefile, where they land, their symbols."""
