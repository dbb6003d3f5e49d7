# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import models
from odoo.exceptions import UserError

# Context key set by ``_set_state``: (model, ids) of the records whose state it is changing.
STATE_CHANGE = 'paylocity_state_change'


class PaylocityStateMixin(models.AbstractModel):
    """Declared state transitions, and the one way to change a record's ``state`` (or ``_state_field``).

    A model lists, once, where each state may lead (``_state_transitions``); ``_set_state`` is how buttons, crons
    and handlers change the state, and it refuses any move the model does not declare (as
    ``payment.transaction._update_state`` does). Staying in a state is always allowed: its other values are
    written. Creating a record in a state is not a transition. Any other write that changes the state is refused
    (``write``), so a button, a server action or an RPC call cannot skip the declared transitions.
    """

    _name = 'paylocity.state.mixin'
    _description = 'Paylocity declared state transitions'

    _state_field = 'state'
    # {from state: (states it may move to, ...)}
    _state_transitions = {}

    def _set_state(self, state, values=None):
        """Move these records to ``state``, writing ``values`` with it; a ``UserError`` naming the record and both
        states when one of them may not make that move (nothing is written then)."""
        field = self._state_field
        labels = dict(self._fields[field]._description_selection(self.env))
        if state not in labels:
            raise ValueError("%s has no %s %r" % (self._name, field, state))
        for record in self:
            current = record[field]
            if current != state and state not in self._state_transitions.get(current, ()):
                raise UserError(self.env._(
                    "%(model)s %(record)s cannot go from %(from)s to %(to)s.",
                    model=self._description, record=record.display_name or record.id,
                    **{'from': labels.get(current, current), 'to': labels[state]}))
        if self:
            changing = self.with_context(**{STATE_CHANGE: (self._name, tuple(self.ids))})
            changing.write(dict(values or {}, **{field: state}))
        return self

    def write(self, vals):
        field = self._state_field
        if field in vals and not self._changing_state():
            moved = self.filtered(lambda record: record[field] != vals[field])
            if moved:
                moved.check_access('write')   # who may not write at all is told that first
                raise UserError(self.env._(
                    "The %(field)s of %(model)s %(record)s changes only through its actions, not by a direct write.",
                    field=self._fields[field]._description_string(self.env), model=self._description,
                    record=moved[:1].display_name or moved[:1].id))
        return super().write(vals)

    def _changing_state(self):
        """Whether this write is ``_set_state``'s own, for these records."""
        model, ids = self.env.context.get(STATE_CHANGE) or (None, ())
        return model == self._name and set(self.ids) <= set(ids)
