# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The Paylocity codes one employee sync call resolves: looked up once, the missing ones created once."""
from ..paylocity import sync_plan


class CodeBook:
    """The connection's ``paylocity.code`` records by (type, code), and its work locations by name too (NextGen
    gives a work location's name where WebLink gives its code)."""

    def __init__(self, Code, connection, department_level, now):
        self.Code = Code   # paylocity.code in the sync's environment
        self.connection = connection
        self.department_level = department_level
        self.now = now
        self.codes = {}            # (code_type, code) -> paylocity.code
        self.location_names = {}   # lower-case name -> paylocity.code of type work_location

    def load(self):
        codes = self.Code.search([('connection_id', '=', self.connection.id)])
        self.codes = {(code.code_type, code.code): code for code in codes}
        self.location_names = {(code.name or '').lower(): code for code in codes
                               if code.code_type == 'work_location' and code.name}

    def lookup(self, code_type, value):
        code = self.codes.get((code_type, value))
        if code is None and code_type == 'work_location':
            code = self.location_names.get(value.lower())
        return code

    def any_unknown(self, entries):
        return any(self.lookup(code_type, value) is None for entry in entries
                   for code_type, value in sync_plan.referenced_codes(entry, self.department_level))

    def create_missing(self, entries):
        """Codes Paylocity uses but did not list: positions and work locations are created with the name the
        record gives and aligned; a cost center has no name to go by, so it waits unaligned (warned)."""
        missing = {}
        for entry in entries:
            for code_type, value in sync_plan.referenced_codes(entry, self.department_level):
                if self.lookup(code_type, value) is None and (code_type, value) not in missing:
                    name = entry.job_title if code_type == 'position' else (
                        value if code_type == 'work_location' else False)
                    missing[code_type, value] = {
                        'connection_id': self.connection.id, 'code_type': code_type, 'code': value[:40],
                        'name': name, 'last_seen': self.now}
        if not missing:
            return
        created = self.Code._create_codes(self.connection, list(missing.values()))
        created.filtered(lambda c: c.code_type in ('position', 'work_location'))._align()
        for code in created:
            self.codes[code.code_type, code.code] = code
            if code.code_type == 'work_location' and code.name:
                self.location_names[code.name.lower()] = code
