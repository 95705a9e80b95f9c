// Demo only. On the checkout page: give the order an id. On the confirmation page:
// report the conversion through the command queue (works before the tracker loads).
(function () {
  var params = new URLSearchParams(location.search);
  var form = document.getElementById("checkout");
  if (form) {
    var id = document.createElement("input");
    id.type = "hidden";
    id.name = "order";
    id.value = "demo-" + Date.now().toString(36);
    form.appendChild(id);
    return;
  }
  if (!params.get("order")) return;
  window.adTracker = window.adTracker || [];
  window.adTracker.push(["conversion", {
    order_id: params.get("order"),
    email: params.get("email") || "",
    phone: params.get("phone") || undefined,
    social_id: params.get("cpf") || undefined,
    first_name: params.get("first") || undefined,
    last_name: params.get("last") || undefined,
    items: [{ sku: "espresso-01", product_id: "espresso", quantity: 2, price: 899.0, promotional_price: 849.0 }]
  }]);
  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("order-id").textContent = params.get("order");
  });
})();
