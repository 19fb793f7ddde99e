from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .forms import PonyForm
from .models import Pony

# A page of cards, not the whole stable: rendering 1,000 cards costs ~100 ms on the server
# and far more in the web view, for a page nobody can take in at once.
PONIES_PER_PAGE = 100


def pony_list(request):
    page = Paginator(Pony.objects.all(), PONIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "ponies/pony_list.html", {"ponies": page.object_list, "page": page})


@require_http_methods(["GET", "POST"])
def pony_create(request):
    form = PonyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pony = form.save_unless_name_taken()
        if pony is not None:
            messages.success(request, f"{pony.name} joined the stable.")
            return redirect("ponies:list")
    return render(request, "ponies/pony_form.html", {"form": form, "pony": None})


@require_http_methods(["GET", "POST"])
def pony_edit(request, pk: int):
    pony = get_object_or_404(Pony, pk=pk)
    form = PonyForm(request.POST or None, instance=pony)
    if request.method == "POST" and form.is_valid() and form.save_unless_name_taken():
        messages.success(request, f"Saved {pony.name}.")
        return redirect("ponies:list")
    return render(request, "ponies/pony_form.html", {"form": form, "pony": pony})


@require_http_methods(["GET", "POST"])
def pony_delete(request, pk: int):
    """GET is the no-JavaScript confirmation page; the in-page dialog posts here directly."""
    pony = get_object_or_404(Pony, pk=pk)
    if request.method == "POST":
        pony.delete()
        messages.success(request, f"{pony.name} flew off to new pastures.")
        return redirect("ponies:list")
    return render(request, "ponies/pony_confirm_delete.html", {"pony": pony})


@require_http_methods(["GET", "POST"])
def release_all(request):
    if request.method == "POST":
        count, _ = Pony.objects.all().delete()
        messages.success(request, f"Released {count} ponies. The stable is quiet.")
        return redirect("ponies:list")
    return render(request, "ponies/release_all_confirm.html", {"count": Pony.objects.count()})
