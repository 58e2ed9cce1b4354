// Steward's calendar: drag an appointment to another time or staff member, or drag its
// bottom edge to make it longer or shorter, with a mouse or a pen. It only fills in and
// sends the same form the appointment's own page has, so the server checks the change
// exactly as it checks that form; without JavaScript, or on a touch screen (where a drag
// scrolls the calendar), that page's form is the way to move or resize.
(function () {
  "use strict";
  var QUARTER = 15;
  var THRESHOLD = 6;
  var drag = null;

  function columnAt(x, y) {
    var under = document.elementFromPoint(x, y);
    return under && under.closest ? under.closest(".cal-col[data-date]") : null;
  }

  function clockAt(minute) {
    var hour = Math.floor(minute / 60), half = hour < 12 ? "am" : "pm";
    var twelve = hour % 12 === 0 ? 12 : hour % 12;
    return twelve + ":" + String(minute % 60).padStart(2, "0") + " " + half;
  }

  // Where the block's top would land: the column under the pointer and the quarter hour
  // nearest the block's top edge.
  function target(event) {
    var column = columnAt(event.clientX, event.clientY);
    if (!column) return null;
    var grid = column.querySelector(".cal-grid");
    var rows = Number(drag.calendar.dataset.rows);
    var box = grid.getBoundingClientRect();
    var rowHeight = box.height / rows;
    var top = event.clientY - drag.grabOffset - box.top;
    var row = Math.max(0, Math.min(rows - drag.span, Math.round(top / rowHeight)));
    var minute = Number(drag.calendar.dataset.firstMinute) + row * QUARTER;
    return { column: column, minute: minute };
  }

  // The height of a quarter hour in the block's column.
  function quarterHeight(block, calendar) {
    return block.closest(".cal-grid").getBoundingClientRect().height / Number(calendar.dataset.rows);
  }

  // The length the block's bottom edge is dragged to, in quarter hours (at least one).
  function length(event) {
    var top = drag.block.getBoundingClientRect().top;
    return Math.max(1, Math.round((event.clientY - top) / drag.rowHeight));
  }

  function startMinute(block) {
    return Number(drag.calendar.dataset.firstMinute) + (Number(block.dataset.row) - 1) * QUARTER;
  }

  function moveFields(place) {
    var hour = String(Math.floor(place.minute / 60)).padStart(2, "0");
    var minute = String(place.minute % 60).padStart(2, "0");
    var fields = { start: place.column.dataset.date + "T" + hour + ":" + minute };
    if (place.column.dataset.staff) fields.staff_id = place.column.dataset.staff;
    return fields;
  }

  function send(block, fields) {
    fields.csrf = drag.calendar.dataset.csrf;
    fields.back = drag.calendar.dataset.back;
    var form = document.createElement("form");
    form.method = "post";
    form.action = block.dataset.move;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  document.addEventListener("pointerdown", function (event) {
    if (event.pointerType === "touch" || event.button !== 0) return;
    var block = event.target.closest && event.target.closest(".cal-block[data-move]");
    if (!block) return;
    var calendar = block.closest(".cal");
    drag = {
      block: block,
      calendar: calendar,
      resizing: event.target.classList.contains("cal-resize"),
      startX: event.clientX,
      startY: event.clientY,
      grabOffset: event.clientY - block.getBoundingClientRect().top,
      span: Number(block.dataset.span),
      rowHeight: quarterHeight(block, calendar),
      moving: false,
      label: null
    };
  });

  document.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var dx = event.clientX - drag.startX, dy = event.clientY - drag.startY;
    if (!drag.moving && Math.abs(dx) + Math.abs(dy) < THRESHOLD) return;
    if (!drag.moving) {
      drag.moving = true;
      drag.block.classList.add("dragging");
      drag.label = document.createElement("span");
      drag.label.className = "cal-drop-time";
      drag.label.setAttribute("role", "status");
      drag.block.appendChild(drag.label);
    }
    event.preventDefault();
    if (drag.resizing) {
      var quarters = length(event);
      drag.block.style.height = quarters * drag.rowHeight + "px";
      drag.label.textContent = "Until " + clockAt(startMinute(drag.block) + quarters * QUARTER);
      return;
    }
    drag.block.style.transform = "translate(" + dx + "px, " + dy + "px)";
    var place = target(event);
    drag.label.textContent = place ? "Move to " + clockAt(place.minute) : "";
  });

  document.addEventListener("pointerup", function (event) {
    if (!drag) return;
    var finished = drag;
    if (!finished.moving) {
      drag = null;
      return;
    }
    var place = finished.resizing ? null : target(event);
    var quarters = finished.resizing ? length(event) : 0;
    finished.block.style.transform = "";
    finished.block.style.height = "";
    finished.block.classList.remove("dragging");
    if (finished.label) finished.label.remove();
    // The click that ends a drag does not open the appointment.
    var swallow = function (click) {
      click.preventDefault();
      click.stopPropagation();
    };
    document.addEventListener("click", swallow, true);
    setTimeout(function () { document.removeEventListener("click", swallow, true); }, 0);
    if (finished.resizing && quarters !== finished.span) {
      send(finished.block, { duration_minutes: String(quarters * QUARTER) });
    } else if (place) {
      send(finished.block, moveFields(place));
    }
    drag = null;
  });

  // A link's own drag (to another tab or window) would take the gesture away.
  document.addEventListener("dragstart", function (event) {
    if (event.target.closest && event.target.closest(".cal-block[data-move]")) event.preventDefault();
  });

  document.addEventListener("pointercancel", function () {
    if (!drag) return;
    drag.block.style.transform = "";
    drag.block.style.height = "";
    drag.block.classList.remove("dragging");
    if (drag.label) drag.label.remove();
    drag = null;
  });
})();
