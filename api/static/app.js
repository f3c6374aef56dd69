/* foodmatch coordinator dashboard: a single page, hash routing, Thai and English, live refresh.
 * Plain script (no modules, no build step). Uses only the API of this server and the vendored
 * Leaflet and Chart.js under /static/vendor/; makes no request to any other host. */
"use strict";

(function () {
  const API = "/api/v1";
  // Every 3 s; a page may set window.FOODMATCH_REFRESH_MS before this script (the tests do).
  const REFRESH_MS = Number(window.FOODMATCH_REFRESH_MS) > 0 ? Number(window.FOODMATCH_REFRESH_MS) : 3000;
  const NAMES_REFRESH_MS = 30000;
  const LANG_KEY = "foodmatch.lang";
  const API_KEY = "foodmatch.apiKey";

  // --- labels -----------------------------------------------------------------------------

  const LABELS = {
    th: {
      app_title: "foodmatch — แผงผู้ประสานงาน",
      subtitle: "ตลาดล่วงหน้าอาหารปลอดภัย จังหวัดสงขลา — ครัวโรงพยาบาล โรงเรียน เรือนจำ กับกลุ่มเกษตรกร",
      skip_to_content: "ข้ามไปยังเนื้อหา",
      language: "ภาษา",
      navigation: "เมนูหลัก",
      nav_overview: "ภาพรวม",
      nav_map: "แผนที่",
      nav_fill: "อัตราเติมเต็ม",
      nav_unmet: "ความต้องการค้าง",
      nav_groups: "กลุ่มเกษตรกร",
      nav_kitchens: "ครัว",
      nav_planning: "วางแผนการผลิต",
      overview_title: "ภาพรวมตลาด",
      card_groups: "กลุ่มเกษตรกร",
      card_buyers: "ครัว (ผู้ซื้อ)",
      card_orders_open: "คำสั่งซื้อที่เปิดอยู่",
      card_supply_open: "ประกาศขายที่เปิดอยู่",
      card_open_demand: "ความต้องการที่ยังไม่มีสัญญาหรือข้อเสนอ",
      card_free_supply: "อุปทานที่ยังว่าง",
      card_rounds: "รอบจับคู่",
      card_contracts: "สัญญา",
      card_fill_rate: "อัตราการเติมเต็ม",
      card_proposed: "เสนอแล้ว รอกลุ่มตอบรับ",
      units_mixed: "(กก. หรือ ฟอง ตามชนิดพืช)",
      fill_overall_title: "อัตราการเติมเต็มของคำสั่งซื้อที่เปิดอยู่",
      fill_overall: "กลุ่มตอบรับสัญญาแล้ว {contracted} จากที่สั่ง {ordered} และเสนอแล้วรอกลุ่มตอบรับอีก {proposed} (กก./ฟอง)",
      fill_legend: "อัตราการเติมเต็มนับเฉพาะสัญญาที่กลุ่มตอบรับแล้ว",
      last_round_title: "รอบจับคู่ล่าสุดที่ได้สัญญา",
      empty_rounds: "หลังจากนั้นมีรอบจับคู่อีก {count} รอบที่ไม่มีรายการใหม่ให้จับคู่ ล่าสุดเสร็จเมื่อ {at}",
      empty_rounds_only: "มีรอบจับคู่ {count} รอบ แต่ยังไม่มีรายการให้จับคู่ ล่าสุดเสร็จเมื่อ {at}",
      f_round: "รอบ",
      f_finished: "เสร็จเมื่อ",
      f_trigger: "สาเหตุ",
      f_solver: "ตัวแก้ปัญหา",
      f_demand: "ความต้องการที่ยังเปิดอยู่เมื่อเริ่มรอบ",
      f_filled: "จับคู่ได้",
      f_fill_rate: "สัดส่วนที่รอบนี้จับคู่ได้",
      f_contracts: "สัญญาใหม่",
      f_goods_cost: "มูลค่าสินค้า",
      f_transport_cost: "ค่าขนส่ง (ประมาณ)",
      f_km_per_unit: "ระยะทางเฉลี่ยต่อหน่วย",
      f_wall: "เวลาคำนวณ",
      seconds: "วินาที",
      km: "กม.",
      baht: "บาท",
      by_state_title: "สัญญาตามสถานะ",
      rounds_title: "รอบจับคู่ล่าสุด 10 รอบ",
      col_finished: "เสร็จเมื่อ",
      col_trigger: "สาเหตุ",
      col_status: "สถานะ",
      col_solver: "ตัวแก้ปัญหา",
      col_contracts: "สัญญา",
      col_demand: "ความต้องการ",
      col_filled: "จับคู่ได้",
      col_fill_rate: "อัตราเติมเต็ม",
      col_state: "สถานะ",
      map_title: "แผนที่กลุ่มเกษตรกรและครัว",
      legend_groups: "กลุ่มเกษตรกร (ขนาดตามปริมาณที่เสนอขาย)",
      legend_buyers: "ครัว (ขนาดตามปริมาณที่สั่ง)",
      legend_links: "สัญญา (ความหนาตามปริมาณ)",
      map_summary: "{groups} กลุ่ม · {buyers} ครัว · {links} เส้นสัญญา · ปริมาณเป็น กก. หรือ ฟอง",
      announced: "เสนอขาย",
      contracted: "ทำสัญญาแล้ว",
      ordered: "สั่งซื้อ",
      open_details: "ดูรายละเอียด",
      crops: "พืช",
      fill_title: "อัตราการเติมเต็มตามพืชและสัปดาห์",
      fill_summary: "รวมทุกพืช: {rate} (กลุ่มตอบรับสัญญาแล้ว {contracted} จากที่สั่ง {ordered} · เสนอแล้วรอตอบรับ {proposed})",
      fill_table_caption: "สัดส่วนของปริมาณที่สั่งซึ่งมีสัญญาแล้ว ตามพืช (แถว) และสัปดาห์ ISO (คอลัมน์) — สีเขียว = เติมเต็ม, สีแดง = ยังขาด",
      fill_chart_title: "อัตราการเติมเต็มตามพืช",
      col_total: "รวม",
      col_crop: "พืช",
      unmet_title: "ความต้องการที่ยังไม่ได้รับ",
      unmet_total: "ยังไม่ได้รับทั้งหมด",
      unmet_pending: "รอการจับคู่รอบถัดไป",
      by_reason_title: "ตามเหตุผล",
      by_crop_title: "ตามพืช",
      by_district_title: "ตามอำเภอของครัว",
      col_reason: "เหตุผล",
      col_quantity: "ปริมาณ",
      col_lines: "รายการ",
      col_district: "อำเภอ",
      groups_title: "การกระจายปริมาณและรายได้ระหว่างกลุ่มเกษตรกร",
      gini_volume: "Gini ของปริมาณที่ทำสัญญา",
      gini_income: "Gini ของรายได้",
      gini_utilisation: "Gini ของอัตราการขายได้",
      gini_hint: "ค่า Gini: 0 = ทุกกลุ่มได้เท่ากัน, 1 = กระจุกอยู่ที่กลุ่มเดียว",
      lorenz_title: "เส้นโค้งลอเรนซ์",
      lorenz_x: "สัดส่วนสะสมของกลุ่ม (%)",
      lorenz_y: "สัดส่วนสะสม (%)",
      equality: "ความเท่าเทียมสมบูรณ์",
      volume: "ปริมาณ (กก./ฟอง)",
      income: "รายได้ (บาท)",
      group_bars_title: "ปริมาณและรายได้ตามกลุ่ม (เรียงจากมากไปน้อย)",
      groups_table_title: "กลุ่มเกษตรกรทั้งหมด",
      col_group: "กลุ่มเกษตรกร",
      col_announced: "เสนอขาย",
      col_contracted: "ทำสัญญาแล้ว",
      col_utilisation: "อัตราการขายได้",
      col_income: "รายได้ (บาท)",
      kitchens_title: "ครัวทั้งหมด",
      col_kitchen: "ครัว",
      col_kind: "ประเภท",
      col_ordered: "สั่งซื้อ",
      planning_title: "รายงานวางแผนการผลิต",
      planning_intro: "ความต้องการที่ยังไม่ได้รับ ตามพืช อำเภอ สัปดาห์ และเหตุผล พร้อมข้อเสนอว่าควรผลิต เสนอขาย หรือรับรองอะไรเพิ่ม",
      filter_crop: "พืช",
      filter_district: "อำเภอ",
      filter_week: "สัปดาห์",
      all: "ทั้งหมด",
      download_csv: "ดาวน์โหลด CSV",
      planning_summary: "{lines} รายการ · ปริมาณรวม {total} · จัดทำเมื่อ {generated}",
      col_week: "สัปดาห์",
      col_orders: "คำสั่งซื้อ",
      col_buyers: "ครัว",
      col_min_tier: "มาตรฐานขั้นต่ำ",
      col_max_price: "ราคาสูงสุด (บาท/หน่วย)",
      col_within: "ภายในระยะ (กม.)",
      col_suggestion: "ข้อเสนอ",
      col_dates: "วันส่งมอบ",
      kitchen_title: "ครัว",
      choose_kitchen: "เลือกครัว",
      group_title: "กลุ่มเกษตรกร",
      choose_group: "เลือกกลุ่ม",
      not_found: "ไม่พบข้อมูลที่ขอ",
      orders_title: "คำสั่งซื้อ (ต่อการส่งมอบ)",
      col_order: "คำสั่งซื้อ",
      col_date: "วันส่งมอบ",
      col_open: "ยังไม่มีสัญญา",
      contracts_title: "สัญญา",
      col_contract: "สัญญา",
      col_deliveries: "การส่งมอบ",
      col_price: "ราคา/หน่วย (บาท)",
      col_value: "มูลค่า (บาท)",
      col_document: "เอกสารสัญญา",
      doc_th: "ภาษาไทย",
      doc_en: "English",
      kitchen_unmet_title: "รายการที่ยังไม่ได้รับ",
      f_id: "รหัส",
      f_name_th: "ชื่อ (ไทย)",
      f_name_en: "ชื่อ (อังกฤษ)",
      f_kind: "ประเภท",
      f_district: "อำเภอ",
      f_location: "พิกัด",
      f_members: "สมาชิก",
      f_min_lot: "ปริมาณขั้นต่ำต่อการส่ง",
      f_max_buyers: "จำนวนครัวสูงสุดต่อสัปดาห์",
      f_orders: "คำสั่งซื้อ",
      f_contracts: "สัญญา",
      persons: "คน",
      per_delivery: "ต่อครั้ง",
      every: "ทุกวัน",
      max_price: "ราคาไม่เกิน",
      within: "ภายในระยะ",
      income_title: "รายได้ตามสัญญา (บาท)",
      certificates_title: "ใบรับรอง",
      col_certificate: "ใบรับรอง",
      col_scheme: "มาตรฐาน",
      col_valid_from: "ใช้ได้ตั้งแต่",
      col_valid_until: "ใช้ได้ถึง",
      col_crops: "พืช",
      col_certifier: "ผู้รับรอง",
      cert_valid: "ใช้ได้",
      cert_expired: "หมดอายุ",
      cert_not_yet: "ยังไม่เริ่มใช้",
      cert_revoked: "เพิกถอนตั้งแต่ {date}",
      crop_group: "ทุกชนิดในหมวด{group}",
      whole_farm: "ทุกพืชในฟาร์ม",
      scope: "เทียบเท่า {scope}",
      cropgroup_egg: "ไข่",
      cropgroup_fruit: "ผลไม้",
      cropgroup_fruit_veg: "ผักกินผล",
      cropgroup_herb: "ผักเครื่องเทศและสมุนไพร",
      cropgroup_leafy: "ผักใบ",
      cropgroup_mushroom: "เห็ด",
      cropgroup_staple: "ข้าวและธัญพืช",
      supply_title: "ประกาศขาย",
      col_supply: "ประกาศ",
      col_asking: "ราคาเสนอขาย (บาท/หน่วย)",
      col_weeks_announced: "ทำสัญญาแล้ว / เสนอขาย ต่อสัปดาห์",
      allocations_title: "การจัดสรร: สัญญาและการส่งมอบ",
      none: "ยังไม่มีข้อมูล",
      key_title: "ต้องใช้กุญแจ API",
      key_help: "แผงนี้อ่านข้อมูลจาก API ซึ่งต้องใช้กุญแจ API ของผู้ประสานงาน: คำสั่ง foodmatch demo แสดงลิงก์ที่มีกุญแจอยู่แล้ว หรือสร้างกุญแจด้วย foodmatch keys create",
      key_label: "กุญแจ API",
      key_remember: "จำไว้ในเครื่องนี้",
      key_save: "ใช้กุญแจนี้",
      key_rejected: "กุญแจนี้ใช้ไม่ได้ (ไม่รู้จักหรือถูกเพิกถอนแล้ว)",
      key_forget: "ลืมกุญแจ",
      key_needed: "ต้องใช้กุญแจ API",
      forbidden: "กุญแจนี้ไม่มีสิทธิ์ดูข้อมูลนี้ (ต้องเป็นกุญแจของผู้ประสานงาน)",
      server_error: "เซิร์ฟเวอร์ตอบผิดพลาด (HTTP {status}) — แสดงข้อมูลล่าสุด",
      engine_running: "ระบบจับคู่ทำงาน",
      engine_stopped: "ระบบจับคู่หยุด",
      offline: "ออฟไลน์: ติดต่อเซิร์ฟเวอร์ไม่ได้ (แสดงข้อมูลล่าสุด)",
      updated: "ปรับปรุงเมื่อ",
      footer_vendor: "แผนที่: Leaflet · กราฟ: Chart.js · ทำงานได้โดยไม่ต้องใช้อินเทอร์เน็ต",
      trigger_request: "ตามคำขอ",
      trigger_debounce: "หลังมีการเปลี่ยนแปลง",
      trigger_schedule: "ตามกำหนดเวลา",
      trigger_startup: "เมื่อเริ่มระบบ",
      status_completed: "เสร็จสิ้น",
      status_failed: "ล้มเหลว",
      solver_optimal: "เหมาะสมที่สุด",
      solver_feasible: "ใช้ได้",
      solver_error: "ผิดพลาด",
      state_proposed: "เสนอแล้ว รอตอบรับ",
      state_accepted: "ตอบรับแล้ว",
      state_in_delivery: "กำลังส่งมอบ",
      state_completed: "เสร็จสิ้น",
      state_rejected: "ถูกปฏิเสธ",
      state_cancelled: "ยกเลิก",
      state_expired: "หมดอายุ",
      book_open: "เปิด",
      book_cancelled: "ยกเลิก",
      book_withdrawn: "ถอนแล้ว",
      delivery_scheduled: "ตามกำหนด",
      delivery_delivered: "ส่งมอบแล้ว",
      delivery_released: "ปล่อยคืน",
      kind_hospital: "โรงพยาบาล",
      kind_school: "โรงเรียน",
      kind_prison: "เรือนจำ",
      kind_factory: "โรงงาน",
      kind_hotel: "โรงแรม",
      kind_restaurant: "ร้านอาหาร",
      kind_other: "อื่น ๆ",
      kind_cooperative: "สหกรณ์",
      kind_community_enterprise: "วิสาหกิจชุมชน",
      kind_farmer_group: "กลุ่มเกษตรกร",
      tier_ANY: "ไม่กำหนด",
      tier_SAFE: "ปลอดภัย (GAP ขึ้นไป)",
      tier_ORGANIC: "อินทรีย์",
      tier_ORGANIC_CERTIFIED: "อินทรีย์ที่ได้รับรอง",
      tier_EU: "อินทรีย์ EU",
      tier_USDA: "อินทรีย์ USDA",
      tier_COR: "อินทรีย์ COR (แคนาดา)",
      scheme_NONE: "ไม่มีใบรับรอง",
      scheme_THAI_GAP: "GAP (กรมวิชาการเกษตร)",
      scheme_ORGANIC_CONVERSION: "ระยะปรับเปลี่ยนอินทรีย์",
      scheme_PGS: "PGS (ระบบชุมชนรับรอง)",
      scheme_ORGANIC_THAILAND: "Organic Thailand",
      scheme_ACT_IFOAM: "ACT-IFOAM",
      scheme_EU_ORGANIC: "อินทรีย์ EU",
      scheme_USDA_NOP: "อินทรีย์ USDA NOP",
      scheme_COR: "อินทรีย์ COR (แคนาดา)",
      scheme_GMP: "GMP",
      wd_mon: "จ.",
      wd_tue: "อ.",
      wd_wed: "พ.",
      wd_thu: "พฤ.",
      wd_fri: "ศ.",
      wd_sat: "ส.",
      wd_sun: "อา.",
      unit_kg: "กก.",
      unit_piece: "ฟอง",
      reason_pending: "ยังไม่มีรอบจับคู่พิจารณา",
      reason_no_supply: "ไม่มีผู้เสนอขายพืชนี้",
      reason_standard_not_met: "ไม่มีผู้ผลิตที่ได้มาตรฐานตามที่ต้องการ",
      reason_certificate_invalid: "ใบรับรองหมดอายุก่อนส่งมอบ",
      reason_crop_not_covered: "ใบรับรองไม่ครอบคลุมพืชนี้",
      reason_no_food_safety_credential: "ไม่มีใบรับรองความปลอดภัยอาหาร (GMP)",
      reason_out_of_range: "ผู้ผลิตอยู่ไกลเกินระยะที่กำหนด",
      reason_price_too_high: "ราคาสูงกว่าราคาสูงสุด",
      reason_insufficient_supply: "ปริมาณที่เสนอขายไม่พอ",
      reason_capacity_taken: "ปริมาณถูกจัดสรรให้ผู้ซื้อรายอื่นแล้ว",
      reason_supplier_limit: "ครบจำนวนผู้ผลิตต่อการส่งมอบที่กำหนดแล้ว",
      reason_below_min_lot: "ปริมาณต่ำกว่าขั้นต่ำที่ผู้ผลิตส่งได้",
      reason_buyer_limit: "ผู้ผลิตส่งให้ผู้ซื้อครบจำนวนต่อสัปดาห์แล้ว",
      reason_too_late: "ใกล้วันส่งเกินไป กลุ่มตอบรับไม่ทัน",
    },
    en: {
      app_title: "foodmatch — coordinator dashboard",
      subtitle: "Safe-food forward market, Songkhla — hospital, school and prison kitchens with farmer groups",
      skip_to_content: "Skip to content",
      language: "Language",
      navigation: "Main navigation",
      nav_overview: "Overview",
      nav_map: "Map",
      nav_fill: "Fill rate",
      nav_unmet: "Unmet demand",
      nav_groups: "Farmer groups",
      nav_kitchens: "Kitchens",
      nav_planning: "Planning",
      overview_title: "Market overview",
      card_groups: "Farmer groups",
      card_buyers: "Kitchens (buyers)",
      card_orders_open: "Open orders",
      card_supply_open: "Open supply announcements",
      card_open_demand: "Open demand, neither contracted nor proposed",
      card_free_supply: "Free supply",
      card_rounds: "Matching rounds",
      card_contracts: "Contracts",
      card_fill_rate: "Fill rate",
      card_proposed: "Proposed, awaiting the groups' answer",
      units_mixed: "(kg or pieces, by crop)",
      fill_overall_title: "Fill rate of the open orders",
      fill_overall: "{contracted} of {ordered} ordered are under contracts the groups accepted; {proposed} more are proposed, awaiting the groups' answer (kg/pieces)",
      fill_legend: "The fill rate counts only contracts the groups have accepted",
      last_round_title: "Last round that made contracts",
      empty_rounds: "Since then {count} rounds found nothing new to match; the latest finished {at}",
      empty_rounds_only: "{count} rounds ran and found nothing to match yet; the latest finished {at}",
      f_round: "Round",
      f_finished: "Finished",
      f_trigger: "Trigger",
      f_solver: "Solver",
      f_demand: "Open demand when the round began",
      f_filled: "Filled",
      f_fill_rate: "Share of it this round filled",
      f_contracts: "New contracts",
      f_goods_cost: "Goods cost",
      f_transport_cost: "Transport cost (estimate)",
      f_km_per_unit: "Average distance per unit",
      f_wall: "Computing time",
      seconds: "s",
      km: "km",
      baht: "THB",
      by_state_title: "Contracts by state",
      rounds_title: "Latest 10 matching rounds",
      col_finished: "Finished",
      col_trigger: "Trigger",
      col_status: "Status",
      col_solver: "Solver",
      col_contracts: "Contracts",
      col_demand: "Demand",
      col_filled: "Filled",
      col_fill_rate: "Fill rate",
      col_state: "State",
      map_title: "Map of farmer groups and kitchens",
      legend_groups: "Farmer group (size: announced quantity)",
      legend_buyers: "Kitchen (size: ordered quantity)",
      legend_links: "Contracts (width: quantity)",
      map_summary: "{groups} groups · {buyers} kitchens · {links} contract lines · quantities in kg or pieces",
      announced: "Announced",
      contracted: "Under contract",
      ordered: "Ordered",
      open_details: "Open details",
      crops: "Crops",
      fill_title: "Fill rate by crop and week",
      fill_summary: "All crops: {rate} ({contracted} of {ordered} ordered under accepted contracts · {proposed} proposed, awaiting answer)",
      fill_table_caption: "Share of the ordered quantity under contract, by crop (rows) and ISO week (columns) — green = filled, red = short",
      fill_chart_title: "Fill rate by crop",
      col_total: "Total",
      col_crop: "Crop",
      unmet_title: "Unmet demand",
      unmet_total: "Unmet in total",
      unmet_pending: "Pending (no round yet)",
      by_reason_title: "By reason",
      by_crop_title: "By crop",
      by_district_title: "By the kitchens' district",
      col_reason: "Reason",
      col_quantity: "Quantity",
      col_lines: "Lines",
      col_district: "District",
      groups_title: "Distribution of volume and income across farmer groups",
      gini_volume: "Gini of contracted volume",
      gini_income: "Gini of income",
      gini_utilisation: "Gini of utilisation",
      gini_hint: "Gini: 0 = every group gets the same, 1 = everything goes to one group",
      lorenz_title: "Lorenz curves",
      lorenz_x: "Cumulative share of groups (%)",
      lorenz_y: "Cumulative share (%)",
      equality: "Perfect equality",
      volume: "Volume (kg/pieces)",
      income: "Income (THB)",
      group_bars_title: "Volume and income per group (largest first)",
      groups_table_title: "All farmer groups",
      col_group: "Farmer group",
      col_announced: "Announced",
      col_contracted: "Under contract",
      col_utilisation: "Utilisation",
      col_income: "Income (THB)",
      kitchens_title: "All kitchens",
      col_kitchen: "Kitchen",
      col_kind: "Kind",
      col_ordered: "Ordered",
      planning_title: "Planning report",
      planning_intro: "Unmet demand by crop, district, week and reason, with the supply, announcement or certification that would close it",
      filter_crop: "Crop",
      filter_district: "District",
      filter_week: "Week",
      all: "All",
      download_csv: "Download CSV",
      planning_summary: "{lines} lines · total {total} · generated {generated}",
      col_week: "Week",
      col_orders: "Orders",
      col_buyers: "Kitchens",
      col_min_tier: "Minimum standard",
      col_max_price: "Max price (THB/unit)",
      col_within: "Within (km)",
      col_suggestion: "Suggestion",
      col_dates: "Delivery dates",
      kitchen_title: "Kitchen",
      choose_kitchen: "Choose a kitchen",
      group_title: "Farmer group",
      choose_group: "Choose a group",
      not_found: "Not found",
      orders_title: "Orders (per delivery)",
      col_order: "Order",
      col_date: "Delivery date",
      col_open: "Open",
      contracts_title: "Contracts",
      col_contract: "Contract",
      col_deliveries: "Deliveries",
      col_price: "Unit price (THB)",
      col_value: "Value (THB)",
      col_document: "Contract document",
      doc_th: "ภาษาไทย",
      doc_en: "English",
      kitchen_unmet_title: "Unmet lines",
      f_id: "ID",
      f_name_th: "Name (Thai)",
      f_name_en: "Name (English)",
      f_kind: "Kind",
      f_district: "District",
      f_location: "Location",
      f_members: "Members",
      f_min_lot: "Minimum lot",
      f_max_buyers: "Most kitchens per week",
      f_orders: "Orders",
      f_contracts: "Contracts",
      persons: "people",
      per_delivery: "per delivery",
      every: "every",
      max_price: "at most",
      within: "within",
      income_title: "Income under contract (THB)",
      certificates_title: "Certificates",
      col_certificate: "Certificate",
      col_scheme: "Standard",
      col_valid_from: "Valid from",
      col_valid_until: "Valid until",
      col_crops: "Crops",
      col_certifier: "Certifier",
      cert_valid: "valid",
      cert_expired: "expired",
      cert_not_yet: "not yet valid",
      cert_revoked: "revoked from {date}",
      crop_group: "all {group}",
      whole_farm: "every crop of the farm",
      scope: "recognised for {scope}",
      cropgroup_egg: "eggs",
      cropgroup_fruit: "fruit",
      cropgroup_fruit_veg: "fruit vegetables",
      cropgroup_herb: "herbs",
      cropgroup_leafy: "leafy vegetables",
      cropgroup_mushroom: "mushrooms",
      cropgroup_staple: "staples",
      supply_title: "Supply announcements",
      col_supply: "Announcement",
      col_asking: "Asking price (THB/unit)",
      col_weeks_announced: "Under contract / announced, per week",
      allocations_title: "Allocations: contracts and deliveries",
      none: "Nothing yet",
      key_title: "API key needed",
      key_help: "The dashboard reads the API, which needs a coordinator's API key: foodmatch demo prints a link that carries it, or create one with foodmatch keys create.",
      key_label: "API key",
      key_remember: "Remember on this computer",
      key_save: "Use this key",
      key_rejected: "This key was refused (unknown or revoked).",
      key_forget: "Forget the key",
      key_needed: "API key needed",
      forbidden: "This key may not see this (a coordinator's key is needed).",
      server_error: "server error (HTTP {status}) — showing the last data",
      engine_running: "engine running",
      engine_stopped: "engine stopped",
      offline: "offline: server unreachable (showing the last data)",
      updated: "updated",
      footer_vendor: "Map: Leaflet · charts: Chart.js · works without internet",
      trigger_request: "on request",
      trigger_debounce: "after changes",
      trigger_schedule: "scheduled",
      trigger_startup: "at start",
      status_completed: "completed",
      status_failed: "failed",
      solver_optimal: "optimal",
      solver_feasible: "feasible",
      solver_error: "error",
      state_proposed: "proposed",
      state_accepted: "accepted",
      state_in_delivery: "in delivery",
      state_completed: "completed",
      state_rejected: "rejected",
      state_cancelled: "cancelled",
      state_expired: "expired",
      book_open: "open",
      book_cancelled: "cancelled",
      book_withdrawn: "withdrawn",
      delivery_scheduled: "scheduled",
      delivery_delivered: "delivered",
      delivery_released: "released",
      kind_hospital: "hospital",
      kind_school: "school",
      kind_prison: "prison",
      kind_factory: "factory",
      kind_hotel: "hotel",
      kind_restaurant: "restaurant",
      kind_other: "other",
      kind_cooperative: "cooperative",
      kind_community_enterprise: "community enterprise",
      kind_farmer_group: "farmer group",
      tier_ANY: "any",
      tier_SAFE: "safe (GAP or better)",
      tier_ORGANIC: "organic",
      tier_ORGANIC_CERTIFIED: "certified organic",
      tier_EU: "EU organic",
      tier_USDA: "USDA organic",
      tier_COR: "COR organic (Canada)",
      scheme_NONE: "no certificate",
      scheme_THAI_GAP: "Thai GAP",
      scheme_ORGANIC_CONVERSION: "organic in conversion",
      scheme_PGS: "PGS (participatory guarantee)",
      scheme_ORGANIC_THAILAND: "Organic Thailand",
      scheme_ACT_IFOAM: "ACT-IFOAM",
      scheme_EU_ORGANIC: "EU organic",
      scheme_USDA_NOP: "USDA NOP organic",
      scheme_COR: "COR organic (Canada)",
      scheme_GMP: "GMP",
      wd_mon: "Mon",
      wd_tue: "Tue",
      wd_wed: "Wed",
      wd_thu: "Thu",
      wd_fri: "Fri",
      wd_sat: "Sat",
      wd_sun: "Sun",
      unit_kg: "kg",
      unit_piece: "pieces",
      reason_pending: "no round has looked at it yet",
      reason_no_supply: "nobody offers this crop",
      reason_standard_not_met: "no supply meets the required standard",
      reason_certificate_invalid: "certificate not valid on the delivery date",
      reason_crop_not_covered: "certificate does not cover the crop",
      reason_no_food_safety_credential: "no food-safety (GMP) credential",
      reason_out_of_range: "suppliers beyond the maximum distance",
      reason_price_too_high: "asking price above the maximum price",
      reason_insufficient_supply: "not enough supply",
      reason_capacity_taken: "supply went to other orders",
      reason_supplier_limit: "the order's supplier limit is reached",
      reason_below_min_lot: "below the supplier's minimum lot",
      reason_buyer_limit: "the supplier serves its most buyers that week",
      reason_too_late: "too close to delivery for a group to answer",
    },
  };

  const CONTRACT_STATES = [
    "proposed", "accepted", "in_delivery", "completed", "rejected", "cancelled", "expired",
  ];
  const STATE_COLOURS = {
    proposed: "#e0a526",
    accepted: "#2f7d4a",
    in_delivery: "#2c6fbb",
    completed: "#5d6b62",
    rejected: "#b4532a",
    cancelled: "#9c2f2f",
    expired: "#a8a8a8",
  };
  const KIND_COLOURS = {
    hospital: "#c0392b",
    school: "#2c6fbb",
    prison: "#7a4fa3",
  };
  const GROUP_COLOUR = "#2f7d4a";
  const LINK_COLOUR = "#d27d2d";

  // --- the API key ------------------------------------------------------------------------

  function storedKey() {
    try {
      return sessionStorage.getItem(API_KEY) || localStorage.getItem(API_KEY) || "";
    } catch (err) {
      return "";
    }
  }

  function saveKey(key, remember) {
    state.apiKey = key;
    try {
      sessionStorage.setItem(API_KEY, key);
      if (remember) {
        localStorage.setItem(API_KEY, key);
      } else {
        localStorage.removeItem(API_KEY);
      }
    } catch (err) {
      // Storage refused (private mode): the key lasts as long as this page.
    }
  }

  function forgetKey() {
    state.apiKey = "";
    try {
      sessionStorage.removeItem(API_KEY);
      localStorage.removeItem(API_KEY);
    } catch (err) {
      // Nothing stored.
    }
  }

  /* A link such as http://127.0.0.1:8000/#key=fm_... (printed by `foodmatch demo`) hands the
   * dashboard its key; the key is kept for this tab and taken out of the address. */
  function takeKeyFromAddress() {
    const found = location.hash.match(/(^#|[?&])key=([^&]*)/);
    if (!found) {
      return;
    }
    let key = "";
    try {
      key = decodeURIComponent(found[2]).trim();
    } catch (err) {
      key = "";
    }
    if (key) {
      saveKey(key, false);
    }
    let rest = location.hash.replace(/(^#|[?&])key=[^&]*&?/, "$1").replace(/[?&]$/, "");
    if (rest === "#" || rest === "") {
      rest = "#/";
    }
    history.replaceState(null, "", location.pathname + location.search + rest);
  }

  // --- state ------------------------------------------------------------------------------

  const state = {
    lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "th",
    crops: {},
    groups: {},
    buyers: {},
    districts: {},
    namesAt: 0,
    overview: null,
    route: null,
    data: null,
    dataRoute: null,
    generation: 0,
    timer: null,
    offline: false,
    needKey: false,
    forbidden: false,
    serverError: 0,
    seeded: false,
    apiKey: storedKey(),
    updated: null,
    charts: {},
    map: null,
  };

  // --- text and numbers -------------------------------------------------------------------

  function has(table, key) {
    return Object.prototype.hasOwnProperty.call(table, key);
  }

  function t(key, vars) {
    const table = LABELS[state.lang];
    let text = has(table, key) ? table[key] : has(LABELS.en, key) ? LABELS.en[key] : key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return has(vars, name) ? String(vars[name]) : whole;
      });
    }
    return text;
  }

  function tOr(key, fallback) {
    return has(LABELS[state.lang], key) ? LABELS[state.lang][key] : fallback;
  }

  function esc(value) {
    if (value === null || value === undefined) {
      return "";
    }
    return String(value).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  function locale() {
    return state.lang === "th" ? "th-TH" : "en-GB";
  }

  const formats = {};
  function numberFormat(kind) {
    const key = state.lang + ":" + kind;
    if (!formats[key]) {
      const options = {
        int: { maximumFractionDigits: 0 },
        dec1: { minimumFractionDigits: 1, maximumFractionDigits: 1 },
        dec2: { minimumFractionDigits: 2, maximumFractionDigits: 2 },
        dec3: { minimumFractionDigits: 3, maximumFractionDigits: 3 },
        dec4: { minimumFractionDigits: 4, maximumFractionDigits: 4 },
        pct: { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 },
      }[kind];
      formats[key] = new Intl.NumberFormat(locale(), options);
    }
    return formats[key];
  }

  function num(value) {
    return numberFormat("int").format(Number(value || 0));
  }

  function dec(value, digits) {
    return numberFormat("dec" + (digits || 2)).format(Number(value || 0));
  }

  function pct(rate) {
    return numberFormat("pct").format(Number(rate || 0));
  }

  function money(value) {
    if (value === null || value === undefined || value === "") {
      return "–";
    }
    return dec(Number(value), 2);
  }

  function unitLabel(unit) {
    return unit ? t("unit_" + unit) : "";
  }

  function qty(value, unit) {
    const u = unitLabel(unit);
    return num(value) + (u ? " " + u : "");
  }

  function day(iso) {
    if (!iso) {
      return "";
    }
    const parts = String(iso).split("-").map(Number);
    const when = new Date(parts[0], parts[1] - 1, parts[2]);
    return when.toLocaleDateString(locale(), { day: "numeric", month: "short", year: "numeric" });
  }

  function shortDay(iso) {
    if (!iso) {
      return "";
    }
    const parts = String(iso).split("-").map(Number);
    const when = new Date(parts[0], parts[1] - 1, parts[2]);
    return when.toLocaleDateString(locale(), { day: "numeric", month: "short" });
  }

  function moment(iso) {
    if (!iso) {
      return "";
    }
    return new Date(iso).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "medium" });
  }

  function nm(obj) {
    if (!obj) {
      return "";
    }
    const first = state.lang === "th" ? obj.name_th : obj.name_en;
    const second = state.lang === "th" ? obj.name_en : obj.name_th;
    return first || second || obj.id || "";
  }

  function cropName(id) {
    return state.crops[id] ? nm(state.crops[id]) : id;
  }

  function cropUnit(id) {
    return state.crops[id] ? state.crops[id].unit : "";
  }

  function groupName(id) {
    return state.groups[id] ? nm(state.groups[id]) : id;
  }

  function buyerName(id) {
    return state.buyers[id] ? nm(state.buyers[id]) : id;
  }

  function rememberDistrict(code, nameTh, nameEn) {
    if (code && (nameTh || nameEn)) {
      state.districts[code] = { name_th: nameTh, name_en: nameEn };
    }
  }

  function districtName(code) {
    return state.districts[code] ? nm(state.districts[code]) : code || "";
  }

  function reasonHtml(reason) {
    return esc(tOr("reason_" + reason, reason)) +
      ' <span class="code">' + esc(reason) + "</span>";
  }

  function badge(prefix, value) {
    return '<span class="badge ' + esc(prefix + value) + '">' +
      esc(tOr(prefix + value, value)) + "</span>";
  }

  function enc(value) {
    return encodeURIComponent(value);
  }

  function kitchenLink(id) {
    return '<a href="#/kitchen/' + esc(enc(id)) + '" data-buyer="' + esc(id) + '">' +
      esc(buyerName(id)) + "</a>";
  }

  function groupLink(id) {
    return '<a href="#/group/' + esc(enc(id)) + '" data-group="' + esc(id) + '">' +
      esc(groupName(id)) + "</a>";
  }

  function documentLinks(contractId) {
    const base = API + "/contracts/" + enc(contractId) + "/document?lang=";
    return '<a href="' + esc(base + "th") + '" target="_blank" rel="noopener" lang="th" ' +
      'data-doc="th">' + esc(t("doc_th")) + "</a> · " +
      '<a href="' + esc(base + "en") + '" target="_blank" rel="noopener" lang="en" ' +
      'data-doc="en">' + esc(t("doc_en")) + "</a>";
  }

  function setHtml(el, html) {
    if (el && el.__fmHtml !== html) {
      el.innerHTML = html;
      el.__fmHtml = html;
    }
  }

  function setText(el, text) {
    if (el && el.textContent !== text) {
      el.textContent = text;
    }
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function emptyRow(columns) {
    return '<tr class="empty"><td colspan="' + columns + '">' + esc(t("none")) + "</td></tr>";
  }

  function rows(items, columns, render) {
    return items.length ? items.map(render).join("") : emptyRow(columns);
  }

  function facts(pairs) {
    return pairs.filter(function (p) { return p[1] !== null && p[1] !== undefined && p[1] !== ""; })
      .map(function (p) {
        return "<div><dt>" + esc(t(p[0])) + "</dt><dd" + (p[2] ? ' data-fact="' + esc(p[2]) + '"' : "") +
          ">" + p[1] + "</dd></div>";
      }).join("");
  }

  // --- HTTP -------------------------------------------------------------------------------

  function HttpError(path, status) {
    this.name = "HttpError";
    this.message = path + ": HTTP " + status;
    this.status = status;
  }
  HttpError.prototype = Object.create(Error.prototype);

  function authHeaders(accept) {
    const headers = { Accept: accept || "application/json" };
    if (state.apiKey) {
      headers.Authorization = "Bearer " + state.apiKey;
    }
    return headers;
  }

  async function getJson(path) {
    const response = await fetch(API + path, { headers: authHeaders(), cache: "no-store" });
    if (!response.ok) {
      throw new HttpError(path, response.status);
    }
    return response.json();
  }

  async function getOrMissing(path) {
    try {
      return await getJson(path);
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) {
        return null;
      }
      throw err;
    }
  }

  async function loadNames() {
    const answers = await Promise.all([getJson("/crops"), getJson("/groups"), getJson("/buyers")]);
    const crops = {};
    answers[0].forEach(function (c) { crops[c.id] = c; });
    const groups = {};
    answers[1].forEach(function (g) { groups[g.id] = g; });
    const buyers = {};
    answers[2].forEach(function (b) { buyers[b.id] = b; });
    state.crops = crops;
    state.groups = groups;
    state.buyers = buyers;
    state.namesAt = Date.now();
  }

  async function ensureNames(groupIds, buyerIds) {
    const unknown = (groupIds || []).some(function (id) { return !state.groups[id]; }) ||
      (buyerIds || []).some(function (id) { return !state.buyers[id]; });
    if (unknown || Date.now() - state.namesAt > NAMES_REFRESH_MS) {
      await loadNames();
    }
  }

  async function seedDistricts() {
    try {
      const answers = await Promise.all([getJson("/stats/groups"), getJson("/stats/unmet")]);
      answers[0].groups.forEach(function (g) {
        rememberDistrict(g.district, g.district_name_th, g.district_name_en);
      });
      answers[1].by_district.forEach(function (d) {
        rememberDistrict(d.district, d.name_th, d.name_en);
      });
    } catch (err) {
      // District names are a nicety: the codes are shown until a later answer names them.
    }
  }

  // --- charts (Chart.js, updated in place) ------------------------------------------------

  function setupChartDefaults() {
    if (!window.Chart) {
      return;
    }
    Chart.defaults.animation = false;
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.color = "#1f2a24";
    Chart.defaults.maintainAspectRatio = false;
  }

  function upsertChart(id, config) {
    if (!window.Chart) {
      return null;
    }
    const canvas = byId(id);
    const signature = JSON.stringify([config.type, config.data, state.lang]);
    const entry = state.charts[id];
    if (!entry) {
      const chart = new Chart(canvas, config);
      state.charts[id] = { chart: chart, signature: signature };
      return chart;
    }
    if (entry.signature === signature) {
      return entry.chart;
    }
    const chart = entry.chart;
    chart.data.labels = config.data.labels;
    config.data.datasets.forEach(function (dataset, i) {
      if (chart.data.datasets[i]) {
        Object.assign(chart.data.datasets[i], dataset);
      } else {
        chart.data.datasets.push(dataset);
      }
    });
    chart.data.datasets.length = config.data.datasets.length;
    chart.options = config.options;
    chart.update("none");
    entry.signature = signature;
    return chart;
  }

  function tooltipNumber(suffix) {
    return function (context) {
      const value = context.parsed.x !== undefined && context.chart.options.indexAxis === "y"
        ? context.parsed.x : context.parsed.y;
      return (context.dataset.label ? context.dataset.label + ": " : "") + num(value) +
        (suffix ? " " + suffix : "");
    };
  }

  function shortLabel(text, size) {
    return text.length > size ? text.slice(0, size - 1) + "…" : text;
  }

  // --- routing ----------------------------------------------------------------------------

  const SIMPLE_PAGES = ["map", "fill", "unmet", "groups", "kitchens", "planning"];

  function parseRoute() {
    const hash = location.hash.replace(/^#/, "");
    const cut = hash.indexOf("?");
    const path = cut >= 0 ? hash.slice(0, cut) : hash;
    const params = new URLSearchParams(cut >= 0 ? hash.slice(cut + 1) : "");
    let parts;
    try {
      parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch (err) {
      return { page: "notfound", params: params, key: hash };
    }
    const route = { page: "notfound", params: params, key: hash };
    if (parts.length === 0) {
      route.page = "overview";
    } else if (parts.length === 1 && SIMPLE_PAGES.indexOf(parts[0]) >= 0) {
      route.page = parts[0];
    } else if (parts.length === 2 && (parts[0] === "kitchen" || parts[0] === "group")) {
      route.page = parts[0];
      route.id = parts[1];
    }
    return route;
  }

  function showPage(route) {
    document.querySelectorAll(".page").forEach(function (section) {
      section.hidden = section.getAttribute("data-page") !== route.page;
    });
    const navFor = { kitchen: "kitchens", group: "groups" }[route.page] || route.page;
    document.querySelectorAll("[data-route]").forEach(function (link) {
      if (link.getAttribute("data-route") === navFor) {
        link.setAttribute("aria-current", "page");
      } else {
        link.removeAttribute("aria-current");
      }
    });
    const page = PAGES[route.page];
    if (page && page.shown) {
      page.shown();
    }
  }

  // --- page: overview ---------------------------------------------------------------------

  const overviewPage = {
    load: async function () {
      return { rounds: await getJson("/rounds?limit=10") };
    },
    render: function (data) {
      const o = state.overview;
      if (!o) {
        return;
      }
      document.querySelectorAll("#page-overview [data-field]").forEach(function (el) {
        const field = el.getAttribute("data-field");
        const value = o[field];
        el.setAttribute("data-value", String(value === undefined ? "" : value));
        setText(el, field === "fill_rate" ? pct(value) : num(value));
      });
      const filled = Math.min(100, Number(o.fill_rate || 0) * 100);
      byId("fill-meter-bar").style.width = filled + "%";
      byId("fill-meter-proposed").style.width = (o.ordered
        ? Math.min(100 - filled, (100 * Number(o.proposed || 0)) / o.ordered) : 0) + "%";
      setText(byId("fill-overall-text"), t("fill_overall", {
        contracted: num(o.contracted), ordered: num(o.ordered), proposed: num(o.proposed || 0),
      }));

      const empty = byId("empty-rounds");
      const emptyCount = Number(o.empty_rounds_since || 0);
      empty.hidden = !emptyCount;
      empty.setAttribute("data-count", String(emptyCount));
      setText(empty, emptyCount ? t(o.last_round ? "empty_rounds" : "empty_rounds_only", {
        count: num(emptyCount), at: moment(o.last_empty_round_at),
      }) : "");

      const last = o.last_round;
      if (last) {
        const s = last.summary || {};
        setHtml(byId("last-round"), facts([
          ["f_round", esc(last.id), "id"],
          ["f_finished", esc(moment(last.finished_at))],
          ["f_trigger", esc(tOr("trigger_" + last.trigger, last.trigger))],
          ["f_solver", esc(last.solver) + " · " +
            esc(tOr("solver_" + last.solver_status, last.solver_status))],
          ["f_demand", esc(num(s.demand))],
          ["f_filled", esc(num(s.filled))],
          ["f_fill_rate", esc(pct(s.fill_rate))],
          ["f_contracts", esc(num(s.contracts !== undefined ? s.contracts
            : (last.contract_ids || []).length))],
          ["f_goods_cost", s.goods_cost_thb !== undefined
            ? esc(money(s.goods_cost_thb) + " " + t("baht")) : null],
          ["f_transport_cost", s.transport_cost_thb !== undefined
            ? esc(money(s.transport_cost_thb) + " " + t("baht")) : null],
          ["f_km_per_unit", s.km_per_unit !== undefined
            ? esc(dec(s.km_per_unit, 1) + " " + t("km")) : null],
          ["f_wall", s.wall_seconds !== undefined
            ? esc(dec(s.wall_seconds, 2) + " " + t("seconds")) : null],
        ]));
      } else {
        setHtml(byId("last-round"), "<div><dd>" + esc(t("none")) + "</dd></div>");
      }

      const byState = o.contracts_by_state || {};
      const states = CONTRACT_STATES.filter(function (s) { return byState[s]; })
        .concat(Object.keys(byState).filter(function (s) {
          return CONTRACT_STATES.indexOf(s) < 0 && byState[s];
        }));
      setHtml(byId("by-state-body"), rows(states, 2, function (s) {
        return '<tr data-state="' + esc(s) + '"><td>' + badge("state_", s) + '</td><td class="num">' +
          esc(num(byState[s])) + "</td></tr>";
      }));
      upsertChart("chart-by-state", {
        type: "doughnut",
        data: {
          labels: states.map(function (s) { return tOr("state_" + s, s); }),
          datasets: [{
            data: states.map(function (s) { return byState[s]; }),
            backgroundColor: states.map(function (s) { return STATE_COLOURS[s] || "#888"; }),
          }],
        },
        options: {
          plugins: {
            legend: { position: "right" },
            tooltip: { callbacks: { label: function (c) { return c.label + ": " + num(c.parsed); } } },
          },
        },
      });

      setHtml(byId("rounds-body"), rows(data.rounds, 8, function (r) {
        const s = r.summary || {};
        const contracts = s.contracts !== undefined ? s.contracts : (r.contract_ids || []).length;
        return '<tr data-round="' + esc(r.id) + '">' +
          "<td>" + esc(moment(r.finished_at)) + "</td>" +
          "<td>" + esc(tOr("trigger_" + r.trigger, r.trigger)) + "</td>" +
          "<td>" + esc(tOr("status_" + r.status, r.status)) + "</td>" +
          "<td>" + esc(r.solver || "") + (r.solver_status ? " · " +
            esc(tOr("solver_" + r.solver_status, r.solver_status)) : "") + "</td>" +
          '<td class="num">' + esc(num(contracts)) + "</td>" +
          '<td class="num">' + esc(num(s.demand)) + "</td>" +
          '<td class="num">' + esc(num(s.filled)) + "</td>" +
          '<td class="num">' + esc(s.demand ? pct(s.fill_rate) : "–") + "</td></tr>";
      }));
    },
  };

  // --- page: map --------------------------------------------------------------------------

  function ensureMap() {
    if (state.map) {
      return state.map;
    }
    const map = L.map("map", { zoomSnap: 0.25, minZoom: 6, maxZoom: 16 });
    map.createPane("fm-grid").style.zIndex = 350;
    map.createPane("fm-links").style.zIndex = 410;
    map.createPane("fm-points").style.zIndex = 420;
    const labels = map.createPane("fm-labels");
    labels.style.zIndex = 430;
    labels.style.pointerEvents = "none";
    L.control.scale({ imperial: false }).addTo(map);
    map.attributionControl.addAttribution("foodmatch");
    map.setView([7.1, 100.5], 9);
    state.map = {
      map: map, groups: {}, buyers: {}, links: {}, districts: {}, grid: null, fitted: false,
    };
    return state.map;
  }

  function syncLayers(store, items, keyOf, create, update) {
    const seen = {};
    items.forEach(function (item) {
      const key = keyOf(item);
      seen[key] = true;
      if (store[key]) {
        update(store[key], item);
      } else {
        store[key] = create(item);
      }
    });
    Object.keys(store).forEach(function (key) {
      if (!seen[key]) {
        store[key].remove();
        delete store[key];
      }
    });
  }

  function setPopup(layer, html) {
    if (layer.__fmPopup !== html) {
      if (layer.getPopup()) {
        layer.setPopupContent(html);
      } else {
        layer.bindPopup(html);
      }
      layer.__fmPopup = html;
    }
  }

  function setTooltip(layer, text, sticky) {
    if (layer.__fmTooltip !== text) {
      if (layer.getTooltip()) {
        layer.setTooltipContent(esc(text));
      } else {
        layer.bindTooltip(esc(text), { sticky: !!sticky });
      }
      layer.__fmTooltip = text;
    }
  }

  function drawGrid(m, bounds) {
    if (m.grid) {
      m.grid.remove();
    }
    const step = 0.1;
    const south = Math.floor((bounds.south - 0.3) / step) * step;
    const north = Math.ceil((bounds.north + 0.3) / step) * step;
    const west = Math.floor((bounds.west - 0.3) / step) * step;
    const east = Math.ceil((bounds.east + 0.3) / step) * step;
    const lines = [];
    const style = { pane: "fm-grid", interactive: false, className: "fm-grid", weight: 1 };
    for (let lat = south; lat <= north + 1e-9; lat += step) {
      lines.push(L.polyline([[lat, west], [lat, east]], style));
    }
    for (let lon = west; lon <= east + 1e-9; lon += step) {
      lines.push(L.polyline([[south, lon], [north, lon]], style));
    }
    m.grid = L.layerGroup(lines).addTo(m.map);
  }

  function radius(value, max, smallest, largest) {
    if (!max || !value) {
      return smallest;
    }
    return smallest + (largest - smallest) * Math.sqrt(value / max);
  }

  function popupTable(pairs) {
    return '<table class="mini">' + pairs.map(function (p) {
      return "<tr><th scope=\"row\">" + esc(p[0]) + '</th><td class="num">' + esc(p[1]) + "</td></tr>";
    }).join("") + "</table>";
  }

  const mapPage = {
    load: async function () {
      const data = await getJson("/map");
      await ensureNames(data.groups.map(function (g) { return g.id; }),
        data.buyers.map(function (b) { return b.id; }));
      return data;
    },
    shown: function () {
      if (state.map) {
        state.map.map.invalidateSize();
      }
    },
    render: function (data) {
      const m = ensureMap();
      m.map.invalidateSize();
      if (data.bounds && !m.fitted) {
        const b = data.bounds;
        m.map.fitBounds([[b.south, b.west], [b.north, b.east]], { padding: [30, 30] });
        drawGrid(m, b);
        m.fitted = true;
      }
      const places = {};
      const maxAnnounced = Math.max.apply(null, [1].concat(data.groups.map(function (g) {
        return g.announced || 0;
      })));
      const maxOrdered = Math.max.apply(null, [1].concat(data.buyers.map(function (b) {
        return b.ordered || 0;
      })));
      const maxLink = Math.max.apply(null, [1].concat(data.links.map(function (l) {
        return l.quantity || 0;
      })));

      function groupPopup(g) {
        return "<strong>" + esc(nm(g)) + "</strong><br>" +
          '<span class="muted">' + esc(t("kind_farmer_group")) + " · " + esc(districtName(g.district)) +
          "</span>" + popupTable([
            [t("announced"), num(g.announced)],
            [t("contracted"), num(g.contracted)],
          ]) + '<a href="#/group/' + esc(enc(g.id)) + '">' + esc(t("open_details")) + "</a>";
      }
      function groupStyle(g) {
        return { radius: radius(g.announced, maxAnnounced, 4, 14) };
      }
      syncLayers(m.groups, data.groups, function (g) { return g.id; }, function (g) {
        const layer = L.circleMarker([g.lat, g.lon], Object.assign({
          pane: "fm-points", className: "fm-group", color: "#ffffff", weight: 1.5,
          fillColor: GROUP_COLOUR, fillOpacity: 0.85,
        }, groupStyle(g))).addTo(m.map);
        layer.getElement().setAttribute("data-id", g.id);
        setPopup(layer, groupPopup(g));
        setTooltip(layer, nm(g));
        return layer;
      }, function (layer, g) {
        layer.setLatLng([g.lat, g.lon]);
        layer.setRadius(groupStyle(g).radius);
        setPopup(layer, groupPopup(g));
        setTooltip(layer, nm(g));
      });

      function buyerPopup(b) {
        return "<strong>" + esc(nm(b)) + "</strong><br>" +
          '<span class="muted">' + esc(tOr("kind_" + b.kind, b.kind)) + " · " +
          esc(districtName(b.district)) + "</span>" + popupTable([
            [t("ordered"), num(b.ordered)],
            [t("contracted"), num(b.contracted)],
            [t("col_fill_rate"), b.ordered ? pct(b.contracted / b.ordered) : "–"],
          ]) + '<a href="#/kitchen/' + esc(enc(b.id)) + '">' + esc(t("open_details")) + "</a>";
      }
      syncLayers(m.buyers, data.buyers, function (b) { return b.id; }, function (b) {
        const layer = L.circleMarker([b.lat, b.lon], {
          pane: "fm-points", className: "fm-buyer fm-kind-" + b.kind, color: "#ffffff", weight: 2,
          fillColor: KIND_COLOURS[b.kind] || "#b4532a", fillOpacity: 0.9,
          radius: radius(b.ordered, maxOrdered, 4, 14),
        }).addTo(m.map);
        layer.getElement().setAttribute("data-id", b.id);
        setPopup(layer, buyerPopup(b));
        setTooltip(layer, nm(b));
        return layer;
      }, function (layer, b) {
        layer.setLatLng([b.lat, b.lon]);
        layer.setRadius(radius(b.ordered, maxOrdered, 4, 14));
        setPopup(layer, buyerPopup(b));
        setTooltip(layer, nm(b));
      });

      data.groups.forEach(function (g) { places["g:" + g.id] = g; });
      data.buyers.forEach(function (b) { places["b:" + b.id] = b; });
      const links = data.links.filter(function (l) {
        return places["g:" + l.group_id] && places["b:" + l.buyer_id];
      });
      function linkPopup(l) {
        return "<strong>" + esc(groupName(l.group_id)) + " → " + esc(buyerName(l.buyer_id)) +
          "</strong>" + popupTable([
            [t("contracted"), num(l.quantity)],
            [t("col_contracts"), num(l.contracts)],
          ]) + '<p class="muted">' + esc(t("crops")) + ": " +
          esc((l.crops || []).map(cropName).join(", ")) + "</p>" +
          '<a href="#/group/' + esc(enc(l.group_id)) + '">' + esc(groupName(l.group_id)) + "</a><br>" +
          '<a href="#/kitchen/' + esc(enc(l.buyer_id)) + '">' + esc(buyerName(l.buyer_id)) + "</a>";
      }
      function linkWeight(l) {
        return 1 + 9 * Math.sqrt((l.quantity || 0) / maxLink);
      }
      function linkKey(l) {
        return l.group_id + "\u0000" + l.buyer_id;
      }
      syncLayers(m.links, links, linkKey, function (l) {
        const g = places["g:" + l.group_id];
        const b = places["b:" + l.buyer_id];
        const layer = L.polyline([[g.lat, g.lon], [b.lat, b.lon]], {
          pane: "fm-links", className: "fm-link", color: LINK_COLOUR, opacity: 0.55,
          weight: linkWeight(l), lineCap: "round",
        }).addTo(m.map);
        const el = layer.getElement();
        el.setAttribute("data-group", l.group_id);
        el.setAttribute("data-buyer", l.buyer_id);
        el.setAttribute("data-quantity", String(l.quantity));
        setPopup(layer, linkPopup(l));
        setTooltip(layer, groupName(l.group_id) + " → " + buyerName(l.buyer_id) + ": " +
          num(l.quantity), true);
        return layer;
      }, function (layer, l) {
        const g = places["g:" + l.group_id];
        const b = places["b:" + l.buyer_id];
        layer.setLatLngs([[g.lat, g.lon], [b.lat, b.lon]]);
        layer.setStyle({ weight: linkWeight(l) });
        layer.getElement().setAttribute("data-quantity", String(l.quantity));
        setPopup(layer, linkPopup(l));
        setTooltip(layer, groupName(l.group_id) + " → " + buyerName(l.buyer_id) + ": " +
          num(l.quantity), true);
      });

      // District labels at the middle of the places in each district (no tiles to name them).
      const centres = {};
      data.groups.concat(data.buyers).forEach(function (p) {
        if (!p.district) {
          return;
        }
        const c = centres[p.district] || { lat: 0, lon: 0, n: 0, district: p.district };
        c.lat += p.lat;
        c.lon += p.lon;
        c.n += 1;
        centres[p.district] = c;
      });
      const labelled = Object.keys(centres).map(function (k) { return centres[k]; })
        .filter(function (c) { return state.districts[c.district]; });
      function labelIcon(c) {
        return L.divIcon({
          className: "fm-district", iconSize: null,
          html: "<span>" + esc(districtName(c.district)) + "</span>",
        });
      }
      syncLayers(m.districts, labelled, function (c) { return c.district; }, function (c) {
        const layer = L.marker([c.lat / c.n, c.lon / c.n], {
          pane: "fm-labels", icon: labelIcon(c), interactive: false, keyboard: false,
        }).addTo(m.map);
        layer.__fmLabel = districtName(c.district);
        return layer;
      }, function (layer, c) {
        layer.setLatLng([c.lat / c.n, c.lon / c.n]);
        if (layer.__fmLabel !== districtName(c.district)) {
          layer.setIcon(labelIcon(c));
          layer.__fmLabel = districtName(c.district);
        }
      });

      setText(byId("map-summary"), t("map_summary", {
        groups: num(data.groups.length), buyers: num(data.buyers.length), links: num(links.length),
      }));
    },
  };

  // --- page: fill -------------------------------------------------------------------------

  function heatColour(rate) {
    const r = Math.max(0, Math.min(1, Number(rate || 0)));
    return "hsl(" + Math.round(r * 125) + ", 62%, " + Math.round(86 - r * 14) + "%)";
  }

  const fillPage = {
    load: function () {
      return getJson("/stats/fill");
    },
    render: function (data) {
      const weeks = data.weeks || [];
      setText(byId("fill-summary"), t("fill_summary", {
        rate: pct(data.fill_rate), contracted: num(data.contracted), ordered: num(data.ordered),
        proposed: num(data.proposed || 0),
      }));
      setHtml(byId("fill-head"), '<tr><th scope="col">' + esc(t("col_crop")) + "</th>" +
        weeks.map(function (w) {
          return '<th scope="col" class="num" data-week="' + esc(w) + '">' + esc(w) + "</th>";
        }).join("") + '<th scope="col" class="num">' + esc(t("col_total")) + "</th></tr>");
      const body = rows(data.crops, weeks.length + 2, function (c) {
        const unit = unitLabel(c.unit);
        const cells = weeks.map(function (w) {
          const cell = (c.weeks || {})[w];
          if (!cell || !cell.ordered) {
            return '<td class="num heat none" data-week="' + esc(w) + '">–</td>';
          }
          const title = num(cell.contracted) + " / " + num(cell.ordered) + " " + unit;
          return '<td class="num heat" data-week="' + esc(w) + '" data-rate="' + esc(cell.fill_rate) +
            '" style="background:' + heatColour(cell.fill_rate) + '" title="' + esc(title) + '">' +
            esc(pct(cell.fill_rate)) + '<span class="sub">' + esc(title) + "</span></td>";
        }).join("");
        return '<tr data-crop="' + esc(c.crop_id) + '"><th scope="row">' + esc(nm(c)) +
          ' <span class="unit">(' + esc(unit) + ")</span></th>" + cells +
          '<td class="num heat total" data-rate="' + esc(c.fill_rate) + '" style="background:' +
          heatColour(c.fill_rate) + '">' + esc(pct(c.fill_rate)) + '<span class="sub">' +
          esc(num(c.contracted) + " / " + num(c.ordered) + " " + unit) + "</span></td></tr>";
      });
      setHtml(byId("fill-body"), body);
      const crops = data.crops || [];
      upsertChart("chart-fill", {
        type: "bar",
        data: {
          labels: crops.map(function (c) { return nm(c); }),
          datasets: [{
            label: t("col_fill_rate"),
            data: crops.map(function (c) { return Math.round(c.fill_rate * 1000) / 10; }),
            backgroundColor: crops.map(function (c) { return heatColour(c.fill_rate); }),
            borderColor: "#5d6b62",
            borderWidth: 1,
          }],
        },
        options: {
          indexAxis: "y",
          scales: { x: { min: 0, max: 100, title: { display: true, text: t("col_fill_rate") + " (%)" } } },
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: function (c) { return pct(c.parsed.x / 100); } } },
          },
        },
      });
    },
  };

  // --- page: unmet ------------------------------------------------------------------------

  function barChart(id, labels, values, label, horizontal, colour) {
    upsertChart(id, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{ label: label, data: values, backgroundColor: colour || "#b4532a" }],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: tooltipNumber() } } },
        scales: {
          x: { ticks: { autoSkip: false } },
          y: { ticks: { autoSkip: false } },
        },
      },
    });
  }

  const unmetPage = {
    load: function () {
      return getJson("/stats/unmet");
    },
    render: function (data) {
      const total = byId("unmet-total");
      total.setAttribute("data-value", String(data.total));
      setText(total, num(data.total));
      const pending = byId("unmet-pending");
      pending.setAttribute("data-value", String(data.pending || 0));
      setText(pending, num(data.pending || 0));
      setHtml(byId("unmet-reason-body"), rows(data.by_reason, 3, function (r) {
        return '<tr data-reason="' + esc(r.reason) + '"><td>' + reasonHtml(r.reason) + "</td>" +
          '<td class="num" data-value="' + esc(r.quantity) + '">' + esc(num(r.quantity)) + "</td>" +
          '<td class="num">' + esc(num(r.lines)) + "</td></tr>";
      }));
      setHtml(byId("unmet-crop-body"), rows(data.by_crop, 2, function (c) {
        return '<tr data-crop="' + esc(c.crop_id) + '"><td>' + esc(nm(c)) + "</td>" +
          '<td class="num" data-value="' + esc(c.quantity) + '">' + esc(qty(c.quantity, c.unit)) +
          "</td></tr>";
      }));
      data.by_district.forEach(function (d) { rememberDistrict(d.district, d.name_th, d.name_en); });
      setHtml(byId("unmet-district-body"), rows(data.by_district, 2, function (d) {
        return '<tr data-district="' + esc(d.district) + '"><td>' + esc(nm(d) || d.district) +
          "</td>" + '<td class="num" data-value="' + esc(d.quantity) + '">' + esc(num(d.quantity)) +
          "</td></tr>";
      }));
      barChart("chart-unmet-reason",
        data.by_reason.map(function (r) { return shortLabel(tOr("reason_" + r.reason, r.reason), 34); }),
        data.by_reason.map(function (r) { return r.quantity; }), t("col_quantity"), true);
      barChart("chart-unmet-crop",
        data.by_crop.map(function (c) { return nm(c) + " (" + unitLabel(c.unit) + ")"; }),
        data.by_crop.map(function (c) { return c.quantity; }), t("col_quantity"), true, "#d27d2d");
      barChart("chart-unmet-district",
        data.by_district.map(function (d) { return nm(d) || d.district; }),
        data.by_district.map(function (d) { return d.quantity; }), t("col_quantity"), true, "#7a4fa3");
    },
  };

  // --- page: groups -----------------------------------------------------------------------

  function lorenz(values) {
    const sorted = values.map(function (v) { return Math.max(0, Number(v || 0)); })
      .sort(function (a, b) { return a - b; });
    const total = sorted.reduce(function (a, b) { return a + b; }, 0);
    const points = [{ x: 0, y: 0 }];
    let running = 0;
    sorted.forEach(function (v, i) {
      running += v;
      points.push({
        x: Math.round(((i + 1) / sorted.length) * 1000) / 10,
        y: total ? Math.round((running / total) * 1000) / 10 : 0,
      });
    });
    return points;
  }

  const groupsPage = {
    load: function () {
      return getJson("/stats/groups");
    },
    render: function (data) {
      const gini = data.gini || {};
      ["volume", "income", "utilisation"].forEach(function (k) {
        const el = byId("gini-" + k);
        el.setAttribute("data-value", String(gini[k]));
        setText(el, gini[k] === undefined || gini[k] === null ? "–" : dec(gini[k], 3));
      });
      const groups = data.groups || [];
      groups.forEach(function (g) {
        rememberDistrict(g.district, g.district_name_th, g.district_name_en);
      });
      setHtml(byId("groups-body"), rows(groups, 7, function (g) {
        const district = state.lang === "th" ? g.district_name_th : g.district_name_en;
        return '<tr data-group="' + esc(g.group_id) + '">' +
          '<th scope="row"><a href="#/group/' + esc(enc(g.group_id)) + '">' + esc(nm(g)) + "</a></th>" +
          "<td>" + esc(district || g.district) + "</td>" +
          '<td class="num">' + esc(num(g.announced)) + "</td>" +
          '<td class="num" data-value="' + esc(g.contracted) + '">' + esc(num(g.contracted)) + "</td>" +
          '<td class="num">' + esc(pct(g.utilisation)) + "</td>" +
          '<td class="num">' + esc(money(g.income_thb)) + "</td>" +
          '<td class="num">' + esc(num(g.contracts)) + "</td></tr>";
      }));
      upsertChart("chart-lorenz", {
        type: "scatter",
        data: {
          datasets: [
            {
              label: t("volume"), data: lorenz(groups.map(function (g) { return g.contracted; })),
              showLine: true, borderColor: GROUP_COLOUR, backgroundColor: GROUP_COLOUR, pointRadius: 2,
            },
            {
              label: t("income"), data: lorenz(groups.map(function (g) { return g.income_thb; })),
              showLine: true, borderColor: LINK_COLOUR, backgroundColor: LINK_COLOUR, pointRadius: 2,
            },
            {
              label: t("equality"), data: [{ x: 0, y: 0 }, { x: 100, y: 100 }], showLine: true,
              borderColor: "#9aa59e", borderDash: [6, 4], pointRadius: 0,
            },
          ],
        },
        options: {
          scales: {
            x: { min: 0, max: 100, title: { display: true, text: t("lorenz_x") } },
            y: { min: 0, max: 100, title: { display: true, text: t("lorenz_y") } },
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: function (c) {
                  return c.dataset.label + ": " + dec(c.parsed.x, 1) + " % → " + dec(c.parsed.y, 1) + " %";
                },
              },
            },
          },
        },
      });
      const names = groups.map(function (g) { return nm(g); });
      upsertChart("chart-group-bars", {
        type: "bar",
        data: {
          labels: names.map(function (n) { return shortLabel(n, 22); }),
          datasets: [
            {
              label: t("volume"), data: groups.map(function (g) { return g.contracted; }),
              backgroundColor: GROUP_COLOUR, yAxisID: "y",
            },
            {
              label: t("income"), data: groups.map(function (g) { return Math.round(g.income_thb); }),
              backgroundColor: LINK_COLOUR, yAxisID: "y1",
            },
          ],
        },
        options: {
          scales: {
            x: { ticks: { autoSkip: true, maxRotation: 60, minRotation: 45 } },
            y: { position: "left", title: { display: true, text: t("volume") } },
            y1: {
              position: "right", grid: { drawOnChartArea: false },
              title: { display: true, text: t("income") },
            },
          },
          plugins: {
            tooltip: {
              callbacks: {
                title: function (items) { return items.length ? names[items[0].dataIndex] : ""; },
                label: tooltipNumber(),
              },
            },
          },
        },
      });
    },
  };

  // --- page: kitchens ---------------------------------------------------------------------

  const kitchensPage = {
    load: async function () {
      const data = await getJson("/map");
      await ensureNames([], data.buyers.map(function (b) { return b.id; }));
      return data;
    },
    render: function (data) {
      const buyers = data.buyers.slice().sort(function (a, b) {
        return nm(a).localeCompare(nm(b), locale());
      });
      setHtml(byId("kitchens-body"), rows(buyers, 6, function (b) {
        return '<tr data-buyer="' + esc(b.id) + '"><th scope="row">' +
          '<a href="#/kitchen/' + esc(enc(b.id)) + '">' + esc(nm(b)) + "</a></th>" +
          "<td>" + esc(tOr("kind_" + b.kind, b.kind)) + "</td>" +
          "<td>" + esc(districtName(b.district)) + "</td>" +
          '<td class="num">' + esc(num(b.ordered)) + "</td>" +
          '<td class="num">' + esc(num(b.contracted)) + "</td>" +
          '<td class="num">' + esc(b.ordered ? pct(b.contracted / b.ordered) : "–") + "</td></tr>";
      }));
    },
  };

  // --- page: planning ---------------------------------------------------------------------

  const FILTERS = [["crop_id", "filter-crop"], ["district", "filter-district"], ["week", "filter-week"]];

  function planningQuery(params, extra) {
    const query = new URLSearchParams();
    FILTERS.forEach(function (f) {
      const value = params.get(f[0]);
      if (value) {
        query.set(f[0], value);
      }
    });
    Object.keys(extra || {}).forEach(function (k) {
      if (extra[k]) {
        query.set(k, extra[k]);
      }
    });
    const text = query.toString();
    return text ? "?" + text : "";
  }

  function planningLine(l, withBuyers) {
    const dates = (l.dates || []).map(withBuyers ? shortDay : day).join(", ");
    const suggestion = state.lang === "th" ? l.suggestion_th : l.suggestion_en;
    const district = state.lang === "th" ? l.district_name_th : l.district_name_en;
    const crop = state.lang === "th" ? l.crop_name_th : l.crop_name_en;
    let html = '<tr data-crop="' + esc(l.crop_id) + '" data-district="' + esc(l.district) +
      '" data-week="' + esc(l.week) + '" data-reason="' + esc(l.reason) + '">' +
      "<td>" + esc(crop || cropName(l.crop_id)) + "</td>";
    if (withBuyers) {
      html += "<td>" + esc(district || l.district) + "</td>";
    }
    html += '<td><span class="nowrap">' + esc(l.week) + "</span>" +
      (withBuyers ? '<br><span class="muted small">' + esc(dates) + "</span>" : "") + "</td>";
    if (!withBuyers) {
      html += "<td>" + esc(dates) + "</td>";
    }
    html += "<td>" + reasonHtml(l.reason) + "</td>" +
      '<td class="num" data-value="' + esc(l.quantity) + '">' + esc(qty(l.quantity, l.unit)) + "</td>";
    if (withBuyers) {
      html += '<td class="num">' + esc(num(l.orders)) + "</td>" +
        "<td>" + (l.buyers || []).map(kitchenLink).join("<br>") + "</td>" +
        "<td>" + esc(tOr("tier_" + l.min_tier, l.min_tier)) + "</td>" +
        '<td class="num">' + esc(l.max_price_thb === null || l.max_price_thb === undefined
          ? "–" : money(l.max_price_thb)) + "</td>" +
        '<td class="num">' + esc(l.within_km === null || l.within_km === undefined
          ? "–" : num(l.within_km)) + "</td>";
    }
    return html + '<td class="suggestion">' + esc(suggestion) + "</td></tr>";
  }

  function options(select, items, chosen) {
    const html = '<option value="">' + esc(t("all")) + "</option>" + items.map(function (item) {
      return '<option value="' + esc(item[0]) + '">' + esc(item[1]) + "</option>";
    }).join("");
    setHtml(select, html);
    if (select.value !== (chosen || "")) {
      select.value = chosen || "";
    }
  }

  const planningPage = {
    load: async function (route) {
      const filtered = planningQuery(route.params);
      const report = await getJson("/report/planning" + filtered);
      const all = filtered ? await getJson("/report/planning") : report;
      const buyerIds = [];
      report.lines.forEach(function (l) { Array.prototype.push.apply(buyerIds, l.buyers || []); });
      await ensureNames([], buyerIds);
      return { report: report, all: all };
    },
    render: function (data, route) {
      const crops = {};
      const districts = {};
      const weeks = {};
      data.all.lines.forEach(function (l) {
        crops[l.crop_id] = state.lang === "th" ? l.crop_name_th : l.crop_name_en;
        districts[l.district] = (state.lang === "th" ? l.district_name_th : l.district_name_en) ||
          l.district;
        rememberDistrict(l.district, l.district_name_th, l.district_name_en);
        weeks[l.week] = l.week;
      });
      const params = route.params;
      [["crop_id", crops], ["district", districts], ["week", weeks]].forEach(function (f) {
        const chosen = params.get(f[0]);
        if (chosen && !has(f[1], chosen)) {
          f[1][chosen] = f[0] === "crop_id" ? cropName(chosen) : f[0] === "district"
            ? districtName(chosen) : chosen;
        }
      });
      function sorted(map, byLabel) {
        return Object.keys(map).map(function (k) { return [k, map[k]]; }).sort(function (a, b) {
          return byLabel ? String(a[1]).localeCompare(String(b[1]), locale()) : a[0] < b[0] ? -1 : 1;
        });
      }
      options(byId("filter-crop"), sorted(crops, true), params.get("crop_id"));
      options(byId("filter-district"), sorted(districts, true), params.get("district"));
      options(byId("filter-week"), sorted(weeks, false), params.get("week"));
      byId("planning-csv").setAttribute("href", API + "/report/planning.csv" + planningQuery(params));
      const report = data.report;
      setText(byId("planning-summary"), t("planning_summary", {
        lines: num(report.lines.length), total: num(report.total), generated: moment(report.generated_at),
      }));
      setHtml(byId("planning-body"), rows(report.lines, 11, function (l) {
        return planningLine(l, true);
      }));
    },
  };

  function onFilterChange() {
    const query = new URLSearchParams();
    FILTERS.forEach(function (f) {
      const value = byId(f[1]).value;
      if (value) {
        query.set(f[0], value);
      }
    });
    const text = query.toString();
    location.hash = "#/planning" + (text ? "?" + text : "");
  }

  // --- shared: contracts table ------------------------------------------------------------

  function deliveriesHtml(c) {
    const unit = unitLabel(cropUnit(c.crop_id));
    return '<ul class="deliveries">' + (c.deliveries || []).map(function (d) {
      return '<li data-date="' + esc(d.date) + '">' + esc(day(d.date)) + " (" + esc(d.week) + "): " +
        esc(num(d.quantity) + " " + unit) + ' <span class="muted">· ' +
        esc(dec(d.distance_km, 1) + " " + t("km")) +
        (d.state && d.state !== "scheduled" ? " · " + tOr("delivery_" + d.state, d.state) : "") +
        "</span></li>";
    }).join("") + "</ul>";
  }

  function contractRow(c, partyCell) {
    return '<tr data-contract="' + esc(c.id) + '">' +
      '<td class="nowrap">' + esc(c.id) + "</td>" +
      '<td class="party">' + partyCell + "</td>" +
      '<td class="crop">' + esc(cropName(c.crop_id)) + "</td>" +
      "<td>" + deliveriesHtml(c) + "</td>" +
      '<td class="num">' + esc(qty(c.quantity, cropUnit(c.crop_id))) + "</td>" +
      '<td class="num">' + esc(money(c.unit_price)) + "</td>" +
      '<td class="num">' + esc(money(c.value)) + "</td>" +
      "<td>" + badge("state_", c.state) + "</td>" +
      '<td class="nowrap">' + documentLinks(c.id) + "</td></tr>";
  }

  function contractSort(a, b) {
    const da = a.deliveries && a.deliveries.length ? a.deliveries[0].date : "";
    const db = b.deliveries && b.deliveries.length ? b.deliveries[0].date : "";
    return da < db ? -1 : da > db ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }

  /* A kitchen or group page for an id that does not exist: say so and empty its tables.
   * Returns whether the page is missing. */
  function showMissing(page, missing, id, tables) {
    byId(page + "-missing").hidden = !missing;
    if (!missing) {
      return false;
    }
    setText(byId(page + "-name"), id);
    setHtml(byId(page + "-details"), "");
    tables.forEach(function (name) {
      setHtml(byId(page + "-" + name + "-body"), "");
    });
    return true;
  }

  function participantOptions(select, table, chosen) {
    const items = Object.keys(table).map(function (id) { return [id, nm(table[id])]; })
      .sort(function (a, b) { return a[1].localeCompare(b[1], locale()); });
    const html = items.map(function (item) {
      return '<option value="' + esc(item[0]) + '">' + esc(item[1]) + "</option>";
    }).join("");
    setHtml(select, html);
    if (select.value !== chosen) {
      select.value = chosen;
    }
  }

  // --- page: one kitchen ------------------------------------------------------------------

  const kitchenPage = {
    load: async function (route) {
      const id = route.id;
      const buyer = await getOrMissing("/buyers/" + enc(id));
      if (!buyer) {
        await ensureNames([], []);
        return { missing: true, id: id };
      }
      const answers = await Promise.all([
        getJson("/orders?buyer_id=" + enc(id)),
        getJson("/contracts?buyer_id=" + enc(id) + "&limit=1000"),
        getJson("/report/planning?buyer_id=" + enc(id)),
      ]);
      const orders = await Promise.all(answers[0].map(function (o) {
        return getJson("/orders/" + enc(o.id));
      }));
      await ensureNames(answers[1].map(function (c) { return c.group_id; }), [id]);
      return { buyer: buyer, orders: orders, contracts: answers[1], planning: answers[2] };
    },
    render: function (data, route) {
      participantOptions(byId("kitchen-select"), state.buyers, route.id);
      if (showMissing("kitchen", data.missing, route.id, ["orders", "contracts", "unmet"])) {
        return;
      }
      const b = data.buyer;
      setText(byId("kitchen-name"), nm(b));
      setHtml(byId("kitchen-details"), facts([
        ["f_id", esc(b.id), "id"],
        ["f_name_th", '<span lang="th">' + esc(b.name_th) + "</span>"],
        ["f_name_en", '<span lang="en">' + esc(b.name_en) + "</span>"],
        ["f_kind", esc(tOr("kind_" + b.kind, b.kind))],
        ["f_district", esc(districtName(b.district)) + ' <span class="code">' + esc(b.district) + "</span>"],
        ["f_location", esc(dec(b.lat, 4) + ", " + dec(b.lon, 4))],
        ["f_orders", esc(num(data.orders.length)), "orders"],
        ["f_contracts", esc(num(data.contracts.length)), "contracts"],
      ]));

      const orders = data.orders.slice().sort(function (a, b2) { return a.id < b2.id ? -1 : 1; });
      const orderRows = orders.map(function (o) {
        const unit = unitLabel(o.crop_id ? cropUnit(o.crop_id) : "");
        const status = o.delivery_status || [];
        const span = Math.max(1, status.length);
        const s = o.schedule || {};
        const every = (s.weekdays || []).map(function (d) { return t("wd_" + d); }).join(", ");
        const head = '<th scope="rowgroup" rowspan="' + span + '" class="order-cell">' +
          '<span class="nowrap">' + esc(o.id) + "</span> " + badge("book_", o.state) +
          '<div class="muted small">' + esc(qty(o.quantity, cropUnit(o.crop_id)) + " " +
          t("per_delivery")) + (every ? " · " + esc(t("every") + " " + every) : "") + "<br>" +
          esc(tOr("tier_" + o.min_tier, o.min_tier)) +
          (o.max_price ? " · " + esc(t("max_price") + " " + money(o.max_price) + " " + t("baht")) : "") +
          (o.max_distance_km ? " · " + esc(t("within") + " " + num(o.max_distance_km) + " " + t("km")) : "") +
          "</div></th>" + '<td rowspan="' + span + '">' + esc(cropName(o.crop_id)) + "</td>";
        if (!status.length) {
          return '<tr data-order="' + esc(o.id) + '">' + head + '<td colspan="5" class="muted">' +
            esc(t("none")) + "</td></tr>";
        }
        return status.map(function (d, i) {
          return '<tr data-order="' + esc(o.id) + '" data-date="' + esc(d.date) + '">' +
            (i === 0 ? head : "") +
            "<td>" + esc(day(d.date)) + "</td><td>" + esc(d.week) + "</td>" +
            '<td class="num">' + esc(num(d.ordered) + " " + unit) + "</td>" +
            '<td class="num" data-value="' + esc(d.contracted) + '">' + esc(num(d.contracted)) + "</td>" +
            '<td class="num' + (d.open ? " short" : "") + '" data-value="' + esc(d.open) + '">' +
            esc(num(d.open)) + "</td></tr>";
        }).join("");
      });
      setHtml(byId("kitchen-orders-body"), orderRows.length ? orderRows.join("") : emptyRow(7));
      const contracts = data.contracts.slice().sort(contractSort);
      setHtml(byId("kitchen-contracts-body"), rows(contracts, 9, function (c) {
        return contractRow(c, groupLink(c.group_id));
      }));
      setHtml(byId("kitchen-unmet-body"), rows(data.planning.lines || [], 6, function (l) {
        return planningLine(l, false);
      }));
    },
  };

  // --- page: one group --------------------------------------------------------------------

  function certificateState(c) {
    const today = new Date().toISOString().slice(0, 10);
    if (c.revoked_on && c.revoked_on <= today) {
      return ["revoked", t("cert_revoked", { date: day(c.revoked_on) })];
    }
    if (c.valid_until && c.valid_until < today) {
      return ["expired", t("cert_expired")];
    }
    if (c.valid_from && c.valid_from > today) {
      return ["not_yet", t("cert_not_yet")];
    }
    if (c.revoked_on) {
      return ["revoked", t("cert_revoked", { date: day(c.revoked_on) })];
    }
    return ["valid", t("cert_valid")];
  }

  const groupPage = {
    load: async function (route) {
      const id = route.id;
      const group = await getOrMissing("/groups/" + enc(id));
      if (!group) {
        await ensureNames([], []);
        return { missing: true, id: id };
      }
      const answers = await Promise.all([
        getJson("/supply?group_id=" + enc(id)),
        getJson("/contracts?group_id=" + enc(id) + "&limit=1000"),
        getJson("/stats/groups"),
      ]);
      const supply = await Promise.all(answers[0].map(function (s) {
        return getJson("/supply/" + enc(s.id));
      }));
      await ensureNames([id], answers[1].map(function (c) { return c.buyer_id; }));
      const figures = (answers[2].groups || []).filter(function (g) { return g.group_id === id; })[0];
      return { group: group, supply: supply, contracts: answers[1], figures: figures || null };
    },
    render: function (data, route) {
      participantOptions(byId("group-select"), state.groups, route.id);
      if (showMissing("group", data.missing, route.id, ["certificates", "supply", "contracts"])) {
        return;
      }
      const g = data.group;
      const f = data.figures;
      if (f) {
        rememberDistrict(f.district, f.district_name_th, f.district_name_en);
      }
      setText(byId("group-name"), nm(g));
      setHtml(byId("group-details"), facts([
        ["f_id", esc(g.id), "id"],
        ["f_name_th", '<span lang="th">' + esc(g.name_th) + "</span>"],
        ["f_name_en", '<span lang="en">' + esc(g.name_en) + "</span>"],
        ["f_kind", esc(tOr("kind_" + g.kind, g.kind))],
        ["f_district", esc(districtName(g.district)) + ' <span class="code">' + esc(g.district) + "</span>"],
        ["f_location", esc(dec(g.lat, 4) + ", " + dec(g.lon, 4))],
        ["f_members", g.members === null || g.members === undefined ? null
          : esc(num(g.members) + " " + t("persons"))],
        ["f_min_lot", g.min_lot === null || g.min_lot === undefined ? null : esc(num(g.min_lot))],
        ["f_max_buyers", g.max_buyers_per_week === null || g.max_buyers_per_week === undefined
          ? null : esc(num(g.max_buyers_per_week))],
        ["f_contracts", esc(num(data.contracts.length)), "contracts"],
      ]));

      const live = data.contracts.filter(function (c) {
        return ["rejected", "cancelled", "expired"].indexOf(c.state) < 0;
      });
      const income = f ? f.income_thb : live.reduce(function (a, c) { return a + Number(c.value || 0); }, 0);
      const incomeEl = byId("group-income");
      incomeEl.setAttribute("data-value", String(income));
      setText(incomeEl, money(income));
      setText(byId("group-announced"), f ? num(f.announced) : "–");
      setText(byId("group-contracted"), f ? num(f.contracted) : "–");
      setText(byId("group-utilisation"), f ? pct(f.utilisation) : "–");

      setHtml(byId("group-certificates-body"), rows(g.certificates || [], 7, function (c) {
        const st = certificateState(c);
        let crops = (c.crops || []).map(cropName).concat((c.crop_groups || []).map(function (x) {
          return t("crop_group", { group: tOr("cropgroup_" + x, x) });
        }));
        if (!crops.length) {
          crops = [t("whole_farm")];
        }
        crops = crops.concat((c.scopes || []).map(function (x) { return t("scope", { scope: x }); }));
        return '<tr data-certificate="' + esc(c.id) + '"><td class="nowrap">' + esc(c.id) + "</td>" +
          "<td>" + esc(tOr("scheme_" + c.scheme, c.scheme)) + ' <span class="code">' + esc(c.scheme) +
          "</span></td><td>" + esc(day(c.valid_from)) + "</td><td>" + esc(day(c.valid_until)) + "</td>" +
          "<td>" + esc(crops.join(", ")) + "</td><td>" + esc(c.certifier || "") + "</td>" +
          '<td><span class="badge cert_' + esc(st[0]) + '">' + esc(st[1]) + "</span></td></tr>";
      }));

      setHtml(byId("group-supply-body"), rows(data.supply, 6, function (s) {
        const unit = unitLabel(cropUnit(s.crop_id));
        const weeks = Object.keys(s.weeks || {}).sort().map(function (w) {
          const done = (s.contracted || {})[w] || 0;
          return '<li data-week="' + esc(w) + '">' + esc(w) + ": " + esc(num(done) + " / " +
            num(s.weeks[w]) + " " + unit) + "</li>";
        }).join("");
        return '<tr data-supply="' + esc(s.id) + '"><td class="nowrap">' + esc(s.id) + "</td>" +
          "<td>" + esc(cropName(s.crop_id)) + "</td>" +
          "<td>" + esc(tOr("scheme_" + s.scheme, s.scheme)) + "</td>" +
          '<td class="num">' + esc(money(s.asking_price)) + "</td>" +
          '<td><ul class="deliveries">' + weeks + "</ul></td>" +
          "<td>" + badge("book_", s.state) + "</td></tr>";
      }));

      const contracts = data.contracts.slice().sort(contractSort);
      setHtml(byId("group-contracts-body"), rows(contracts, 9, function (c) {
        return contractRow(c, kitchenLink(c.buyer_id));
      }));
    },
  };

  const notFoundPage = {
    load: function () { return Promise.resolve({}); },
    render: function () {},
  };

  const PAGES = {
    overview: overviewPage,
    map: mapPage,
    fill: fillPage,
    unmet: unmetPage,
    groups: groupsPage,
    kitchens: kitchensPage,
    planning: planningPage,
    kitchen: kitchenPage,
    group: groupPage,
    notfound: notFoundPage,
  };

  // --- status, labels, refresh ------------------------------------------------------------

  function renderStatus() {
    const engine = state.overview && state.overview.engine;
    const engineEl = byId("status-engine");
    if (engine) {
      engineEl.setAttribute("data-running", engine.running ? "true" : "false");
      engineEl.className = engine.running ? "ok" : "bad";
      setText(engineEl, engine.running ? t("engine_running") : t("engine_stopped"));
    }
    if (state.updated) {
      setText(byId("status-updated"), t("updated") + " " +
        state.updated.toLocaleTimeString(locale()));
    }
    const offline = byId("status-offline");
    offline.hidden = !state.offline && !state.needKey && !state.forbidden && !state.serverError;
    setText(offline, state.needKey ? t("key_needed") : state.forbidden ? t("forbidden")
      : state.serverError ? t("server_error", { status: state.serverError }) : t("offline"));
    byId("status").setAttribute("data-state", state.offline ? "offline"
      : state.needKey ? "key-needed" : state.forbidden ? "forbidden"
        : state.serverError ? "error" : "online");
    byId("key-forget").hidden = !state.apiKey;
  }

  function renderKeyPanel() {
    const panel = byId("key-panel");
    const wasHidden = panel.hidden;
    panel.hidden = !state.needKey;
    byId("key-error").hidden = !(state.needKey && state.apiKey);
    if (state.needKey && wasHidden) {
      byId("key-input").focus();
    }
  }

  function onKeySubmit(event) {
    event.preventDefault();
    const key = byId("key-input").value.trim();
    if (!key) {
      return;
    }
    saveKey(key, byId("key-remember").checked);
    byId("key-input").value = "";
    state.needKey = false;
    renderKeyPanel();
    tick();
  }

  /* Contract documents and the CSV need the key too: with one, a click fetches the file with
   * it and opens (or saves) the answer from memory; without one, the plain link is followed. */
  async function openWithKey(link, event) {
    if (!state.apiKey) {
      return;
    }
    event.preventDefault();
    const download = link.getAttribute("download");
    const target = download ? null : window.open("", "_blank");
    try {
      const response = await fetch(link.getAttribute("href"), { headers: authHeaders("*/*") });
      if (!response.ok) {
        throw new HttpError(link.getAttribute("href"), response.status);
      }
      const url = URL.createObjectURL(await response.blob());
      if (target) {
        target.location.href = url;
      } else {
        const save = document.createElement("a");
        save.href = url;
        save.download = download;
        document.body.appendChild(save);
        save.click();
        save.remove();
      }
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    } catch (err) {
      if (target) {
        target.close();
      }
      const status = err instanceof HttpError ? err.status : 0;
      state.needKey = status === 401;
      state.forbidden = status === 403;
      state.offline = !(err instanceof HttpError);
      state.serverError = status && status !== 401 && status !== 403 ? status : 0;
      renderStatus();
      renderKeyPanel();
    }
  }

  function applyLabels() {
    document.documentElement.lang = state.lang;
    document.title = t("app_title");
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      setText(el, t(el.getAttribute("data-i18n")));
    });
    document.querySelectorAll("[data-i18n-aria]").forEach(function (el) {
      el.setAttribute("aria-label", t(el.getAttribute("data-i18n-aria")));
    });
    document.querySelectorAll("[data-lang]").forEach(function (button) {
      const active = button.getAttribute("data-lang") === state.lang;
      button.classList.toggle("active", active);
      button.setAttribute("aria-pressed", active ? "true" : "false");
    });
  }

  function renderPage() {
    const route = state.route;
    if (state.data && state.dataRoute && state.dataRoute.key === route.key) {
      PAGES[route.page].render(state.data, route);
    }
  }

  async function tick() {
    clearTimeout(state.timer);
    const generation = ++state.generation;
    const route = state.route;
    if (document.hidden && state.dataRoute && state.dataRoute.key === route.key) {
      // A tab nobody looks at does not poll; it catches up when shown (visibilitychange).
      state.timer = setTimeout(tick, REFRESH_MS);
      return;
    }
    let answers;
    try {
      const overview = await getJson("/overview");
      if (!Object.keys(state.crops).length) {
        await loadNames();
      }
      answers = [overview, await PAGES[route.page].load(route)];
    } catch (err) {
      if (generation === state.generation) {
        const status = err instanceof HttpError ? err.status : 0;
        state.needKey = status === 401;
        state.forbidden = status === 403;
        state.offline = !(err instanceof HttpError);
        state.serverError = status && status !== 401 && status !== 403 ? status : 0;
        renderStatus();
        renderKeyPanel();
        // Without a usable key, wait for one rather than knocking every 3 s.
        if (!state.needKey) {
          state.timer = setTimeout(tick, REFRESH_MS);
        }
      }
      return;
    }
    if (generation !== state.generation) {
      return;
    }
    state.timer = setTimeout(tick, REFRESH_MS);
    state.overview = answers[0];
    state.data = answers[1];
    state.dataRoute = route;
    state.offline = false;
    state.needKey = false;
    state.forbidden = false;
    state.serverError = 0;
    state.updated = new Date();
    renderStatus();
    renderKeyPanel();
    renderPage();
    if (!state.seeded) {
      state.seeded = true;
      seedDistricts();
    }
    document.body.setAttribute("data-loaded", route.key);
  }

  function navigate() {
    takeKeyFromAddress();
    const previous = state.route;
    state.route = parseRoute();
    showPage(state.route);
    if (!previous || previous.page !== state.route.page || previous.id !== state.route.id) {
      window.scrollTo(0, 0);
    }
    document.body.removeAttribute("data-loaded");
    tick();
  }

  function setLanguage(lang) {
    state.lang = lang === "en" ? "en" : "th";
    try {
      localStorage.setItem(LANG_KEY, state.lang);
    } catch (err) {
      // Private mode: the choice lasts for this page only.
    }
    applyLabels();
    renderStatus();
    renderPage();
  }

  function start() {
    setupChartDefaults();
    document.querySelectorAll("[data-lang]").forEach(function (button) {
      button.addEventListener("click", function () {
        setLanguage(button.getAttribute("data-lang"));
      });
    });
    FILTERS.forEach(function (f) {
      byId(f[1]).addEventListener("change", onFilterChange);
    });
    byId("planning-filters").addEventListener("submit", function (event) {
      event.preventDefault();
    });
    byId("kitchen-select").addEventListener("change", function (event) {
      location.hash = "#/kitchen/" + enc(event.target.value);
    });
    byId("group-select").addEventListener("change", function (event) {
      location.hash = "#/group/" + enc(event.target.value);
    });
    byId("key-form").addEventListener("submit", onKeySubmit);
    byId("key-forget").addEventListener("click", function () {
      forgetKey();
      renderStatus();
      tick();
    });
    document.addEventListener("click", function (event) {
      const link = event.target.closest ? event.target.closest("a[data-doc], a[data-testid='planning-csv']") : null;
      if (link) {
        openWithKey(link, event);
      }
    });
    window.addEventListener("hashchange", navigate);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        tick();
      }
    });
    applyLabels();
    navigate();
  }

  start();
})();
