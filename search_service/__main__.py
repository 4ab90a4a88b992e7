from search_service.cli import entry

entry()
