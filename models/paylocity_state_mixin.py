# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import models
from odoo.exceptions import UserError


class PaylocityStateMixin(models.AbstractModel):
    """Declared state transitions, and the one way to change a record's ``state`` (or ``_state_field``).

    A model lists, once, where each state may lead (``_state_transitions``); ``_set_state`` is how buttons, crons
    and handlers change the state, and it refuses any move the model does not declare (as
    ``payment.transaction._update_state`` does). Staying in a state is always allowed: its other values are
    written. Creating a record in a state is not a transition.
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
            self.write(dict(values or {}, **{field: state}))
        return self
