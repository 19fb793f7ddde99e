from django import forms

from .models import Routine


class StartRoutineForm(forms.Form):
    kind = forms.ChoiceField(choices=Routine.Kind.choices, label="Routine")
