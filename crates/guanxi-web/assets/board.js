// The kanban board: drag a card onto another column to move the opportunity. Each card also
// has a plain "move to" form, which is the keyboard and no-JavaScript path.
(function () {
  var board = document.getElementById("board");
  if (!board) return;
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var dragged = null;
  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest("[data-opp]");
    if (!card) return;
    dragged = card;
    e.dataTransfer.setData("text/plain", card.dataset.opp);
    card.classList.add("dragging");
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });
  var columnOf = function (node) {
    var el = node && node.nodeType === 1 ? node : node && node.parentElement;
    return el ? el.closest("[data-stage]") : null;
  };
  board.addEventListener("dragover", function (e) {
    if (dragged && columnOf(e.target)) e.preventDefault();
  });
  board.addEventListener("drop", function (e) {
    var column = columnOf(e.target);
    if (!dragged || !column) return;
    e.preventDefault();
    var form = dragged.querySelector("form.move");
    form.querySelector('select[name="stage_id"]').value = column.dataset.stage;
    var version = document.createElement("input");
    version.type = "hidden"; version.name = "version"; version.value = dragged.dataset.version;
    form.appendChild(version);
    if (!form.querySelector('input[name="_csrf"]') && token) {
      var t = document.createElement("input");
      t.type = "hidden"; t.name = "_csrf"; t.value = token; form.appendChild(t);
    }
    form.submit();
  });
})();
