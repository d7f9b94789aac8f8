import { parseGridCsv } from './grid-csv';

describe('parseGridCsv', () => {
  it('parses rows with optional coordinates and a BOM', () => {
    const { rows, errors } = parseGridCsv('\uFEFFcode,parent_code,name,level,lat,lng\n210902001,210902,站前街道,street,42.01,121.66\n210902001001,210902001,电务社区,community\n');
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { line: 2, code: '210902001', parentCode: '210902', name: '站前街道', level: 'street', lat: 42.01, lng: 121.66 },
      { line: 3, code: '210902001001', parentCode: '210902001', name: '电务社区', level: 'community', lat: null, lng: null },
    ]);
  });

  it('reports every bad line and field', () => {
    const { errors } = parseGridCsv("code,parent_code,name,level\nA-1,P,ok,grid\nB,,x,grid\nB,P,,Grid\nC,P,n,grid,91,0\n");
    expect(errors.map((e) => e.field)).toEqual([
      'line 2: code', 'line 3: parent_code', 'line 4: code', 'line 4: name', 'line 4: level', 'line 5: lat',
    ]);
  });

  it('refuses half a location: lat and lng go together', () => {
    const { errors } = parseGridCsv('code,parent_code,name,level,lat,lng\nA,P,a,grid,42.01,\nB,P,b,grid,,121.66\nC,P,c,grid,42.01,121.66\n');
    expect(errors).toEqual([
      { field: 'line 2: lng', message: 'lat and lng go together / 经纬度须同时提供' },
      { field: 'line 3: lat', message: 'lat and lng go together / 经纬度须同时提供' },
    ]);
  });

  it('refuses a wrong header', () => {
    expect(parseGridCsv('name,code\nx,y\n').errors[0]!.field).toBe('header');
  });
});
