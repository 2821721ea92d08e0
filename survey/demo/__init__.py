"""The demo centre, for trying Klankbord and for the browser tests."""
